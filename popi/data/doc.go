// Package data owns the datasets POPI learns from and is evaluated on, independently of any
// model:
//
//   - dataset.go, fspo.go: the FSPO-style preference datasets (ELIX, Review, Roleplay):
//     Family, PrefPair, users with their pairs and ground-truth persona (for the judge
//     only), LoadFSPO;
//   - alignx.go: AlignX records (demographics, user-generated content, pair-wise feedback,
//     the 90-dimensional preference direction), its test splits and signal modes, and its
//     one-target episodes;
//   - jsonl.go, parquet.go, record.go: reading JSONL, JSON arrays and parquet files as
//     users download them, with errors naming file, line or row, and field;
//   - split.go: the deterministic split of users into training and held-out sets;
//   - episode.go: seeded episodes (user signals plus target pairs, never sharing a pair);
//   - world.go: datasets built directly from the synthetic persona world (popi/world).
//
// It imports popi/world and the parquet reader only; everything that renders or scores
// data (packages prompt and popi) imports it.
package data
