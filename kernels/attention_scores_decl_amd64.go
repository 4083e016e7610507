//go:build amd64 && !purego

package kernels

// Decode-time score kernels (attention_scores_amd64.s): out[j] = q · k_j.

//go:noescape
func scoresAVX512(q, k *float32, kstride, nk, d int, out *float32)

//go:noescape
func scoresAVX2(q, k *float32, kstride, nk, d int, out *float32)
