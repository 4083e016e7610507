//go:build purego || !amd64

package kernels

func adamwUpdate(w, g, m, v []float32, h AdamWHyper) { adamwGeneric(w, g, m, v, h) }
