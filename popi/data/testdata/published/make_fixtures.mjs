// make_fixtures.mjs writes the published-schema fixtures of popi/data with DuckDB (an
// independent parquet/JSON writer; the Go loaders read them with parquet-go and
// encoding/json). Run it from this directory after installing the writer in a scratch
// directory outside the repository:
//
//	mkdir -p /tmp/duck && (cd /tmp/duck && npm init -y && npm install @duckdb/node-api)
//	NODE_PATH=/tmp/duck/node_modules node make_fixtures.mjs
//
// (Node resolves ES-module imports from the script's own directory, so the script loads the
// module through createRequire on NODE_PATH.) The output is deterministic; the committed
// files make the tests self-contained.
//
// Schemas reproduced (names, nesting, types):
//   - ELIX / Review: the columns the FSPO authors' loader reads (preference_datasets.py,
//     get_elix/get_review: prompt, response_x, response_y, label, level_x, level_y,
//     scorer_level) plus columns it drops (model_name_x, model_name_y, det_choice,
//     scorer_level_id, __index_level_0__; types of these not published, ours).
//   - Roleplay (sher222/persona-iterative-responses): the card of its sibling
//     sher222/persona_short: question struct<question, question_type struct<selected_trait,
//     trait_varied, type>, question_uuid>, x, level, score_persona struct<persona_description,
//     persona_uuid, traits struct<age, continent, gender, trait_uuid>>, yw, yl, persona_w,
//     persona_l (same struct as score_persona).
//   - AlignX (JinaLeejnl/AlignX README "Dataset Format"): prompt, chosen, rejected,
//     "Preference Direction" (90 doubles), "Demographic Information", "User-Generated
//     Content" list<struct<prompt, comment, "Preference Direction">>, "Pair-wise
//     Comparative Feedback" list<struct<prompt, chosen, rejected, "Preference Direction">>.
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(join(process.env.NODE_PATH || '.', 'x.js'));
const { DuckDBInstance } = require('@duckdb/node-api');

const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
const run = (sql) => con.run(sql);

// table creates `name` with exact column types from rows (objects) via a temporary JSON
// Lines file read with an explicit schema.
async function table(name, columns, rows) {
  const tmp = `/tmp/popi-fixture-${name}.jsonl`;
  writeFileSync(tmp, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const cols = Object.entries(columns).map(([k, v]) => `'${k.replace(/'/g, "''")}': '${v}'`).join(', ');
  await run(`CREATE OR REPLACE TABLE "${name}" AS SELECT * FROM read_json('${tmp}', format='newline_delimited', columns={${cols}})`);
  rmSync(tmp);
}
const copy = (sql, file, opts) => run(`COPY (${sql}) TO '${file}' (${opts})`);
const parquet = (sql, file) => copy(sql, file, 'FORMAT PARQUET');

// ---------- ELIX and Review ----------
const elixLevels = ['a child in elementary school', 'a preteen in middle school', 'a teenager in high school', 'a young adult in college', 'an expert'];
const fspoCols = {
  prompt: 'VARCHAR', response_x: 'VARCHAR', response_y: 'VARCHAR', label: 'BIGINT',
  level_x: 'VARCHAR', level_y: 'VARCHAR', model_name_x: 'VARCHAR', model_name_y: 'VARCHAR',
  det_choice: 'BIGINT', scorer_level: 'VARCHAR', scorer_level_id: 'BIGINT', __index_level_0__: 'BIGINT',
};
function fspoRows(levels, nPrompts, topic, offset) {
  const rows = [];
  let idx = offset;
  levels.forEach((lv, li) => {
    for (let q = 0; q < nPrompts; q++) {
      const other = levels[(li + 1 + (q % (levels.length - 1))) % levels.length];
      const label = (q + li) % 2;
      const mine = `${topic} ${q} explained for ${lv}.`;
      const theirs = `${topic} ${q} explained for ${other}.`;
      rows.push({
        prompt: `Question ${offset + q} about ${topic}?`,
        response_x: label === 0 ? mine : theirs, response_y: label === 0 ? theirs : mine, label,
        level_x: label === 0 ? lv : other, level_y: label === 0 ? other : lv,
        model_name_x: 'gpt-4o-mini', model_name_y: 'gpt-4o-mini', det_choice: label,
        scorer_level: lv, scorer_level_id: li, __index_level_0__: idx++,
      });
    }
    // A row whose scorer wrote neither response (dropped by the authors' scorer_match).
    const a = levels[(li + 1) % levels.length], b = levels[(li + 2) % levels.length];
    rows.push({
      prompt: `Off-level question about ${topic} for ${lv}?`, response_x: `${topic} for ${a}.`, response_y: `${topic} for ${b}.`,
      label: 0, level_x: a, level_y: b, model_name_x: 'gpt-4o-mini', model_name_y: 'gpt-4o-mini', det_choice: 0,
      scorer_level: lv, scorer_level_id: li, __index_level_0__: idx++,
    });
  });
  return rows;
}
await table('elix_train', fspoCols, fspoRows(elixLevels, 8, 'thermostats', 0));
await table('elix_test', fspoCols, fspoRows(elixLevels, 3, 'volcanoes', 100));
mkdirSync('elix_train', { recursive: true });
await parquet(`SELECT * FROM elix_train WHERE __index_level_0__ % 2 = 0`, 'elix_train/train-00000-of-00002.parquet');
await parquet(`SELECT * FROM elix_train WHERE __index_level_0__ % 2 = 1`, 'elix_train/train-00001-of-00002.parquet');
await copy(`SELECT * FROM elix_train`, 'elix_train.jsonl', 'FORMAT JSON');
await copy(`SELECT * FROM elix_train`, 'elix_train.json', 'FORMAT JSON, ARRAY true');
await parquet(`SELECT * FROM elix_test`, 'elix_test.parquet');
// Bad: the label column missing.
await parquet(`SELECT * EXCLUDE (label) FROM elix_train`, 'bad_elix_missing_label.parquet');

const reviewLevels = ['positive', 'negative', 'concise', 'verbose', 'positive+concise'];
await table('review_train', fspoCols, fspoRows(reviewLevels, 6, 'the film', 0));
await parquet(`SELECT * FROM review_train`, 'review_train.parquet');

// ---------- Roleplay ----------
const personaStruct = 'STRUCT(persona_description VARCHAR, persona_uuid VARCHAR, traits STRUCT(age VARCHAR, continent VARCHAR, gender VARCHAR, trait_uuid VARCHAR))';
const rpCols = {
  question: 'STRUCT(question VARCHAR, question_type STRUCT(selected_trait VARCHAR, trait_varied VARCHAR, type VARCHAR), question_uuid VARCHAR)',
  x: 'VARCHAR', level: 'VARCHAR', score_persona: personaStruct, yw: 'VARCHAR', yl: 'VARCHAR',
  persona_w: personaStruct, persona_l: personaStruct,
};
const personas = [
  { persona_description: 'A retired sailor from Lisbon who loves sea stories.', persona_uuid: '3f0c1d6e-0001', traits: { age: '70', continent: 'Europe', gender: 'male', trait_uuid: 't-01' } },
  { persona_description: 'A young software engineer in Nairobi who prefers terse answers.', persona_uuid: '3f0c1d6e-0002', traits: { age: '25', continent: 'Africa', gender: 'female', trait_uuid: 't-02' } },
  { persona_description: 'A grandmother in Osaka who enjoys gardening and gentle humour.', persona_uuid: '3f0c1d6e-0003', traits: { age: '68', continent: 'Asia', gender: 'female', trait_uuid: 't-03' } },
];
function rpRows(nPrompts, offset) {
  const rows = [];
  personas.forEach((p, pi) => {
    const other = personas[(pi + 1) % personas.length];
    for (let q = 0; q < nPrompts; q++) {
      const text = `What would you do on a free afternoon, number ${offset + q}?`;
      rows.push({
        question: { question: text, question_type: { selected_trait: 'age', trait_varied: 'yes', type: 'open' }, question_uuid: `q-${offset + q}` },
        x: text, level: `level-${pi}`, score_persona: p,
        yw: `Answer ${offset + q} written for: ${p.persona_description}`,
        yl: `Answer ${offset + q} written for: ${other.persona_description}`,
        persona_w: p, persona_l: other,
      });
    }
  });
  return rows;
}
await table('roleplay_train', rpCols, rpRows(12, 0));
await table('roleplay_test', rpCols, rpRows(2, 500));
await parquet(`SELECT * FROM roleplay_train`, 'roleplay_train.parquet');
await parquet(`SELECT * FROM roleplay_test`, 'roleplay_test.parquet');
// An older export: score_persona as the plain description string.
await copy(`SELECT x, level, score_persona.persona_description AS score_persona, yw, yl FROM roleplay_train`, 'roleplay_old.jsonl', 'FORMAT JSON');
// Bad: score_persona of the wrong type.
await parquet(`SELECT * REPLACE (42 AS score_persona) FROM roleplay_train`, 'bad_roleplay_persona_type.parquet');

// ---------- AlignX ----------
const dirOf = (seed) => Array.from({ length: 90 }, (_, k) => [0, 0.5, 0.5, 1][(seed * 7 + k * 3) % 4] ?? 0.5)
  .map((v, k) => (k % 10 === seed % 10 ? v : 0.5));
const axCols = {
  prompt: 'VARCHAR', chosen: 'VARCHAR', rejected: 'VARCHAR', 'Preference Direction': 'DOUBLE[]',
  'Demographic Information': 'VARCHAR',
  'User-Generated Content': 'STRUCT(prompt VARCHAR, comment VARCHAR, "Preference Direction" DOUBLE[])[]',
  'Pair-wise Comparative Feedback': 'STRUCT(prompt VARCHAR, chosen VARCHAR, rejected VARCHAR, "Preference Direction" DOUBLE[])[]',
};
function axRows(n, offset) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const u = offset + i;
    const ugc = Array.from({ length: 1 + (u % 4) }, (_, k) => ({ prompt: `Post ${u}.${k} about bikes`, comment: `Comment ${u}.${k}: I ride every day.`, 'Preference Direction': dirOf(u + k) }));
    const pairs = Array.from({ length: 1 + ((u + 1) % 4) }, (_, k) => ({ prompt: `Post ${u}.${k} about phones`, chosen: `Chosen ${u}.${k}: battery first.`, rejected: `Rejected ${u}.${k}: it depends.`, 'Preference Direction': dirOf(u + 2 * k + 1) }));
    rows.push({
      prompt: `Target post ${u}: what should I buy?`, chosen: `Target chosen ${u}: the cheap one.`, rejected: `Target rejected ${u}: the shiny one.`,
      'Preference Direction': dirOf(u), 'Demographic Information': `User ${u}: ${20 + u} years old, lives in city ${u % 3}.`,
      'User-Generated Content': ugc, 'Pair-wise Comparative Feedback': pairs,
    });
  }
  return rows;
}
await table('alignx_train', axCols, axRows(12, 0));
await table('alignx_test', axCols, axRows(4, 1000));
await parquet(`SELECT * FROM alignx_train`, 'alignx_train.parquet');
await copy(`SELECT * FROM alignx_train`, 'alignx_train.jsonl', 'FORMAT JSON');
// The four test splits, each holding only its signal source.
await parquet(`SELECT prompt, chosen, rejected, "Preference Direction", "Demographic Information" FROM alignx_test`, 'alignx_test_demo.parquet');
await parquet(`SELECT prompt, chosen, rejected, "Preference Direction", "Pair-wise Comparative Feedback" FROM alignx_test`, 'alignx_test_pair.parquet');
await parquet(`SELECT prompt, chosen, rejected, "Preference Direction", "User-Generated Content" FROM alignx_test`, 'alignx_test_ugc.parquet');
await parquet(`SELECT * FROM alignx_test`, 'alignx_test_arbitrary.parquet');
// Bad: a UGC item without its comment.
await parquet(`SELECT * REPLACE (list_transform("User-Generated Content", x -> {'prompt': x.prompt}) AS "User-Generated Content") FROM alignx_train`, 'bad_alignx_ugc_comment.parquet');

console.log('fixtures written');
