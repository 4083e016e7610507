package popi

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/popi-go/popi/internal/atomicfile"
)

var (
	colorRaw     = color.NRGBA{R: 150, G: 150, B: 150, A: 255}
	colorTrain   = color.NRGBA{R: 20, G: 60, B: 140, A: 255}
	colorBand    = color.NRGBA{R: 70, G: 130, B: 180, A: 70}
	colorHeldOut = color.NRGBA{R: 210, G: 90, B: 10, A: 255}
)

// smoothed is a centred moving average of ys over window points (fewer at the ends) with
// the standard error of each average.
func smoothed(ys []float64, window int) (mean, se []float64) {
	h := max(window, 1) / 2
	mean, se = make([]float64, len(ys)), make([]float64, len(ys))
	for i := range ys {
		lo, hi := max(0, i-h), min(len(ys), i+h+1)
		mean[i] = 0
		for _, y := range ys[lo:hi] {
			mean[i] += y
		}
		mean[i] /= float64(hi - lo)
		se[i] = seMean(ys[lo:hi])
	}
	return mean, se
}

// stage1Panel is one panel of the Stage-1 figure: a training series (per step) and the
// held-out series (per evaluation).
type stage1Panel struct {
	title, ylabel string
	train         []float64
	raw, band     bool // draw the per-step values and a ±1 s.e. band around the average
	held          []float64
}

// PlotStage1 draws the Stage-1 figure: the reward (−ℓ) of the sampled training summaries
// per step (thin grey: noisy, as batches differ in users and pairs) with its window-step
// centred mean ± 1 standard error, beside the reward of the fixed held-out users'
// summaries at every held-out evaluation; then, in further panels, the attribute accuracy
// (persona world, withAcc) and the length of the summaries, training (sampled) and
// held-out alike. The legend has its own strip under the panels, so it covers no data.
// Each path gets the figure in the format of its extension (.png, .svg, .pdf), atomically.
func PlotStage1(hist []StepRecord, held []HeldOutRecord, withAcc bool, window int, paths ...string) error {
	if len(hist) == 0 {
		return errors.New("popi: PlotStage1: no steps")
	}
	tx := make([]float64, len(hist))
	var rewards, accs, lens []float64
	for i, h := range hist {
		tx[i] = float64(h.Step + 1)
		rewards = append(rewards, h.Mean)
		accs = append(accs, 100*h.Acc)
		lens = append(lens, h.Len)
	}
	hx := make([]float64, len(held))
	var hr, ha, hl []float64
	for i, r := range held {
		hx[i] = float64(r.Step)
		hr = append(hr, r.Reward)
		ha = append(ha, 100*r.Acc)
		hl = append(hl, r.Tokens)
	}
	panels := []stage1Panel{{title: "Stage 1 reward (−ℓ)", ylabel: "reward", train: rewards, raw: true, band: true, held: hr}}
	if withAcc {
		panels = append(panels, stage1Panel{title: "attributes stated correctly", ylabel: "%", train: accs, held: ha})
	}
	panels = append(panels, stage1Panel{title: "summary length", ylabel: "tokens", train: lens, held: hl})

	var legend plot.Legend
	row := make([]*plot.Plot, len(panels))
	for i, pn := range panels {
		p, thumbs, err := pn.plot(tx, hx, window)
		if err != nil {
			return err
		}
		if i == 0 {
			legend = plot.NewLegend()
			legend.Add("training, per step: mean over the step's sampled summaries", thumbs[0])
			legend.Add(fmt.Sprintf("training: centred %d-step mean ± 1 s.e.", window), thumbs[1], thumbs[2])
			if len(held) > 0 {
				legend.Add(fmt.Sprintf("held-out: %d fixed users, summaries as in the final evaluation", len(held[0].Rewards)), thumbs[3], thumbs[4])
			}
		}
		row[i] = p
	}
	legend.Left = true
	legend.Top = true
	legendH := vg.Length(3*16 + 8)
	w, h := vg.Length(len(panels))*4*vg.Inch, 3.6*vg.Inch+legendH
	for _, path := range paths {
		ext := strings.TrimPrefix(filepath.Ext(path), ".")
		cw, err := draw.NewFormattedCanvas(w, h, ext)
		if err != nil {
			return fmt.Errorf("popi: plot %s: %w", path, err)
		}
		dc := draw.New(cw)
		top := draw.Crop(dc, 0, 0, legendH, 0)
		tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Points(18), PadTop: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(10)}
		for j, c := range plot.Align([][]*plot.Plot{row}, tiles, top)[0] {
			row[j].Draw(c)
		}
		legend.Draw(draw.Crop(dc, vg.Points(60), 0, 0, -(h - legendH)))
		var buf bytes.Buffer
		if _, err := cw.WriteTo(&buf); err != nil {
			return fmt.Errorf("popi: plot %s: %w", path, err)
		}
		if err := atomicfile.WriteFile(path, buf.Bytes(), fileMode); err != nil {
			return err
		}
	}
	return nil
}

// plot draws one panel and returns the legend thumbnails: raw line, smoothed line, band,
// held-out line and its points.
func (pn stage1Panel) plot(tx, hx []float64, window int) (*plot.Plot, []plot.Thumbnailer, error) {
	p := plot.New()
	p.Title.Text = pn.title
	p.X.Label.Text = "step"
	p.Y.Label.Text = pn.ylabel
	p.Add(plotter.NewGrid())
	mean, se := smoothed(pn.train, window)
	raw, line, band := make(plotter.XYs, 0, len(tx)), make(plotter.XYs, 0, len(tx)), make(plotter.XYs, 0, 2*len(tx))
	for i, x := range tx {
		if finite(pn.train[i]) && finite(mean[i]) {
			raw = append(raw, plotter.XY{X: x, Y: pn.train[i]})
			line = append(line, plotter.XY{X: x, Y: mean[i]})
			band = append(band, plotter.XY{X: x, Y: mean[i] + se[i]})
		}
	}
	for i := len(tx) - 1; i >= 0; i-- {
		if finite(pn.train[i]) && finite(mean[i]) {
			band = append(band, plotter.XY{X: tx[i], Y: mean[i] - se[i]})
		}
	}
	if len(line) == 0 {
		return nil, nil, errors.New("popi: PlotStage1: no finite values")
	}
	rl, err := plotter.NewLine(raw)
	if err != nil {
		return nil, nil, err
	}
	rl.Color, rl.Width = colorRaw, vg.Points(0.6)
	poly, err := plotter.NewPolygon(band)
	if err != nil {
		return nil, nil, err
	}
	poly.Color, poly.LineStyle.Width = colorBand, 0
	ml, err := plotter.NewLine(line)
	if err != nil {
		return nil, nil, err
	}
	ml.Color, ml.Width = colorTrain, vg.Points(1.8)
	if pn.raw {
		p.Add(rl)
	}
	if pn.band {
		p.Add(poly)
	}
	p.Add(ml)
	var hl *plotter.Line
	var hs *plotter.Scatter
	hxy := make(plotter.XYs, 0, len(hx))
	for i, x := range hx {
		if finite(pn.held[i]) {
			hxy = append(hxy, plotter.XY{X: x, Y: pn.held[i]})
		}
	}
	if len(hxy) > 0 {
		if hl, hs, err = plotter.NewLinePoints(hxy); err != nil {
			return nil, nil, err
		}
		hl.Color, hl.Width = colorHeldOut, vg.Points(1.8)
		hs.Color, hs.Shape, hs.Radius = colorHeldOut, draw.CircleGlyph{}, vg.Points(2.5)
		p.Add(hl, hs)
	} else {
		hl, _ = plotter.NewLine(plotter.XYs{{}})
		hs, _ = plotter.NewScatter(plotter.XYs{{}})
	}
	p.X.Min = 0
	return p, []plot.Thumbnailer{rl, ml, poly, hl, hs}, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
