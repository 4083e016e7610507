// Package world is a small synthetic persona world for training and testing POPI end to
// end on a tiny model. Everything is a deterministic function of a seed.
//
// A persona is a combination of three attributes in the spirit of the paper's datasets:
// audience level (child, teen, expert; like ELIX), tone (positive, negative; like Review)
// and length (concise, verbose). A small grammar writes short responses whose style
// markers follow a persona. Users with hidden personas label preference pairs (the chosen
// response fits the persona, the rejected one differs in at least one attribute); the
// world writes them in the FSPO JSONL schema so they load through the same code as real
// data. It also provides the exact judge (Detect, Fit, Prefer), a parser that reads which
// attributes a free-text preference summary states (ParseSummary, ScoreSummary), and a
// pretraining corpus teaching a tiny model both roles: writing preference summaries and
// answering prompts conditioned on a summary, on raw pairs or on nothing. Its summaries
// come in two registers (instruct.go): mostly the long, hedging, restating summaries of an
// untrained instruct model (InstructSummary), beside a quarter of concise correct ones
// (ConciseSummary), so that Stage 1 of POPI has something to remove.
//
// Train and held-out users are disjoint, and so are their topics.
package world
