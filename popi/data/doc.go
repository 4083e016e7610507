// Package data owns the datasets POPI learns from and is evaluated on, independently of any
// model:
//
//   - dataset.go, fspo.go, roleplay.go: the FSPO-style preference datasets (ELIX, Review,
//     Roleplay) with the published column names and types (Roleplay's score_persona struct
//     or string): Family, PrefPair, users with their pairs and ground-truth persona (for
//     the judge only), LoadFSPO;
//   - alignx*.go: AlignX records (demographics, user-generated content and pair-wise
//     feedback with their per-item directions, the target's 90-dimensional preference
//     direction and the 90 dimension names), the four test splits each isolating one
//     signal source, the authors' training protocol (AlignXSampler) and direction profiles;
//   - files.go, jsonl.go, parquet.go, record.go: reading JSONL, JSON arrays, parquet files
//     and directories of shards as users download them, with errors naming file, line or
//     row, and field;
//   - split.go, heldout.go: the deterministic split of users into training and held-out
//     sets, and the official test split (seen personas, unseen prompts; its prompts kept
//     out of training);
//   - episode.go, sampler.go: seeded episodes (user signals plus target pairs, never
//     sharing a pair): fixed per user, or drawn afresh per training step (Sampler);
//   - world.go: datasets built directly from the synthetic persona world (popi/world).
//
// It imports popi/world and the parquet reader only; everything that renders or scores
// data (packages prompt and popi) imports it.
package data
