package popi

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/popi-go/popi/internal/atomicfile"
)

// PlotCurve draws a training curve like the paper's Figure 4: the per-step mean as a solid
// line and mean ± std as a shaded band, and writes it to each of paths (format from the
// extension: .png, .svg, .pdf), atomically.
func PlotCurve(title, ylabel string, hist []StepRecord, paths ...string) error {
	if len(hist) == 0 {
		return errors.New("popi: PlotCurve: no steps")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "step"
	p.Y.Label.Text = ylabel
	line := make(plotter.XYs, 0, len(hist))
	band := make(plotter.XYs, 0, 2*len(hist))
	for _, h := range hist {
		if math.IsNaN(h.Mean) || math.IsInf(h.Mean, 0) {
			continue
		}
		line = append(line, plotter.XY{X: float64(h.Step + 1), Y: h.Mean})
		band = append(band, plotter.XY{X: float64(h.Step + 1), Y: h.Mean + h.Std})
	}
	if len(line) == 0 {
		return errors.New("popi: PlotCurve: no finite values")
	}
	for i := len(hist) - 1; i >= 0; i-- {
		h := hist[i]
		if math.IsNaN(h.Mean) || math.IsInf(h.Mean, 0) {
			continue
		}
		band = append(band, plotter.XY{X: float64(h.Step + 1), Y: h.Mean - h.Std})
	}
	poly, err := plotter.NewPolygon(band)
	if err != nil {
		return fmt.Errorf("popi: plot: %w", err)
	}
	poly.Color = color.NRGBA{R: 70, G: 130, B: 180, A: 80}
	poly.LineStyle.Width = 0
	l, err := plotter.NewLine(line)
	if err != nil {
		return fmt.Errorf("popi: plot: %w", err)
	}
	l.Color = color.RGBA{R: 20, G: 60, B: 140, A: 255}
	l.Width = vg.Points(1.5)
	p.Add(poly, l, plotter.NewGrid())
	p.Legend.Add("mean", l)
	p.Legend.Add("± std", poly)
	p.Legend.Top = true
	for _, path := range paths {
		ext := ""
		for i := len(path) - 1; i >= 0 && path[i] != '/'; i-- {
			if path[i] == '.' {
				ext = path[i+1:]
				break
			}
		}
		w, err := p.WriterTo(6*vg.Inch, 4*vg.Inch, ext)
		if err != nil {
			return fmt.Errorf("popi: plot %s: %w", path, err)
		}
		var buf bytes.Buffer
		if _, err := w.WriteTo(&buf); err != nil {
			return fmt.Errorf("popi: plot %s: %w", path, err)
		}
		if err := atomicfile.WriteFile(path, buf.Bytes(), fileMode); err != nil {
			return err
		}
	}
	return nil
}
