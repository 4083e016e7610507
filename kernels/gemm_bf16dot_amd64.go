//go:build amd64 && !purego

package kernels

var bf16DotAVX512 = bf16DotArch{}
