package kernels

// The generated files of this package (each starts with a "Code generated
// ... DO NOT EDIT." line) are written by the program in internal/gen; see
// its doc comment for which group writes which file. `make check-generate`
// verifies that regenerating leaves the tree unchanged.

//go:generate go run ./internal/gen gemm
//go:generate go run ./internal/gen attention
//go:generate go run ./internal/gen vector
//go:generate go run ./internal/gen wrappers
//go:generate go run ./internal/gen quant
