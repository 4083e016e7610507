//go:build amd64 && !purego

package kernels

// setVectorPathAMD64 installs the vector, attention and conversion kernels
// of path p.
func setVectorPathAMD64(p Path) {}
