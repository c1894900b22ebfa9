// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/studyschema.h"

#include <array>

namespace psc {

namespace {

// Version 1. docs/database.md documents every column; keep the two in step. The schema is deliberately not
// STRICT so that any SQLite >= 3.35 (RETURNING) and the usual database browsers can read a study.
constexpr std::string_view kInitialSchema = R"sql(
CREATE TABLE study_meta (
    key   TEXT PRIMARY KEY NOT NULL CHECK (key <> ''),
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE trials (
    id                INTEGER PRIMARY KEY,
    number            INTEGER NOT NULL UNIQUE CHECK (number >= 0),
    state             TEXT NOT NULL CHECK (state IN ('pending', 'running', 'complete', 'failed', 'infeasible')),
    architecture_json TEXT NOT NULL,
    architecture_hash TEXT NOT NULL,
    parameters_json   TEXT NOT NULL,
    recipe_json       TEXT NOT NULL,
    parent_id         INTEGER REFERENCES trials (id),
    cached_from       INTEGER REFERENCES trials (id),
    error             TEXT NOT NULL DEFAULT '',
    interruptions     INTEGER NOT NULL DEFAULT 0 CHECK (interruptions >= 0),
    revision          INTEGER NOT NULL,
    created_at        REAL NOT NULL,
    started_at        REAL,
    finished_at       REAL
);
CREATE INDEX trials_cache_key ON trials (architecture_hash, recipe_json);
CREATE INDEX trials_state ON trials (state);
CREATE INDEX trials_revision ON trials (revision);
CREATE INDEX trials_parent ON trials (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE metrics (
    trial_id INTEGER NOT NULL REFERENCES trials (id),
    target   TEXT NOT NULL DEFAULT '',
    name     TEXT NOT NULL CHECK (name <> ''),
    value    REAL,
    PRIMARY KEY (trial_id, target, name)
) WITHOUT ROWID;

CREATE TABLE artifacts (
    trial_id   INTEGER NOT NULL REFERENCES trials (id),
    kind       TEXT NOT NULL CHECK (kind <> ''),
    format     TEXT NOT NULL,
    data       BLOB NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (trial_id, kind)
);
)sql";

// Version 2: a CRC-32 with every artifact, so that damaged weights are refused instead of loaded. NULL for
// artifacts stored by version 1, which are read unchecked.
constexpr std::string_view kArtifactChecksums = R"sql(
ALTER TABLE artifacts ADD COLUMN crc32 INTEGER CHECK (crc32 IS NULL OR crc32 BETWEEN 0 AND 4294967295);
)sql";

// Version 3: the files a trial was exported to (paretoscope export), with their checksums, the warnings the export
// gave and the figures measured on them. Read-only opens of version 2 files see no exports.
constexpr std::string_view kExports = R"sql(
CREATE TABLE exports (
    id           INTEGER PRIMARY KEY,
    trial_id     INTEGER NOT NULL REFERENCES trials (id),
    format       TEXT NOT NULL CHECK (format IN ('tflite', 'onnx', 'c')),
    path         TEXT NOT NULL CHECK (path <> ''),
    bytes        INTEGER NOT NULL CHECK (bytes >= 0),
    sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
    warnings     TEXT NOT NULL DEFAULT '[]',
    figures      TEXT NOT NULL DEFAULT '{}',
    created_at   REAL NOT NULL
);
CREATE INDEX exports_trial ON exports (trial_id);
)sql";

// Version 4: early stopping. Trials may end 'pruned' (the CHECK on trials.state is part of the table, so the table is
// rebuilt as SQLite's ALTER TABLE procedure prescribes: new table, copy, drop, rename, indexes), and every trained
// trial keeps its learning curve. Read-only opens of version 2 and 3 files see no curves.
constexpr std::string_view kLearningCurves = R"sql(
CREATE TABLE trials_v4 (
    id                INTEGER PRIMARY KEY,
    number            INTEGER NOT NULL UNIQUE CHECK (number >= 0),
    state             TEXT NOT NULL
                      CHECK (state IN ('pending', 'running', 'complete', 'failed', 'infeasible', 'pruned')),
    architecture_json TEXT NOT NULL,
    architecture_hash TEXT NOT NULL,
    parameters_json   TEXT NOT NULL,
    recipe_json       TEXT NOT NULL,
    parent_id         INTEGER REFERENCES trials (id),
    cached_from       INTEGER REFERENCES trials (id),
    error             TEXT NOT NULL DEFAULT '',
    interruptions     INTEGER NOT NULL DEFAULT 0 CHECK (interruptions >= 0),
    revision          INTEGER NOT NULL,
    created_at        REAL NOT NULL,
    started_at        REAL,
    finished_at       REAL
);
INSERT INTO trials_v4 SELECT id, number, state, architecture_json, architecture_hash, parameters_json, recipe_json,
    parent_id, cached_from, error, interruptions, revision, created_at, started_at, finished_at FROM trials;
DROP TABLE trials;
ALTER TABLE trials_v4 RENAME TO trials;
CREATE INDEX trials_cache_key ON trials (architecture_hash, recipe_json);
CREATE INDEX trials_state ON trials (state);
CREATE INDEX trials_revision ON trials (revision);
CREATE INDEX trials_parent ON trials (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE learning_curves (
    trial_id            INTEGER NOT NULL REFERENCES trials (id),
    epoch               INTEGER NOT NULL CHECK (epoch >= 1),
    validation_accuracy REAL NOT NULL,
    PRIMARY KEY (trial_id, epoch)
) WITHOUT ROWID;
)sql";

// Version 5: analog accuracy. A trial's deployable model simulated on an analog target (`paretoscope evaluate`,
// docs/analog.md): accuracy mean and spread over device draws at each time after programming, per drift
// compensation. Read-only opens of older files see none.
constexpr std::string_view kAnalogAccuracy = R"sql(
CREATE TABLE analog_accuracy (
    trial_id     INTEGER NOT NULL REFERENCES trials (id),
    target       TEXT NOT NULL,
    seconds      REAL NOT NULL CHECK (seconds > 0),
    compensation TEXT NOT NULL CHECK (compensation IN ('global', 'per_column', 'none')),
    repeats      INTEGER NOT NULL CHECK (repeats >= 1),
    images       INTEGER NOT NULL CHECK (images >= 1),
    seed         INTEGER NOT NULL,
    mean         REAL NOT NULL,
    std          REAL NOT NULL,
    draws        TEXT NOT NULL DEFAULT '[]',
    created_at   REAL NOT NULL,
    PRIMARY KEY (trial_id, target, compensation, seconds)
) WITHOUT ROWID;
)sql";

// Version 6: what proposed each search trial ("mobo:model", "nsga2:offspring"; the strategy's lastProposal()), for
// filtering by strategy. '' for older trials and for derived and imported ones. Read-only opens of older files see ''.
constexpr std::string_view kProposedBy = R"sql(
ALTER TABLE trials ADD COLUMN proposed_by TEXT NOT NULL DEFAULT '';
)sql";

// Version 7: workers that share a study (`paretoscope worker`, docs/database.md): which worker holds a pending or
// running trial, and when it last said it is alive, so a trial whose worker died is returned to the others. NULL for
// trials no worker holds (every trial of a study that had none).
constexpr std::string_view kWorkers = R"sql(
ALTER TABLE trials ADD COLUMN worker TEXT;
ALTER TABLE trials ADD COLUMN heartbeat_at REAL;
)sql";

constexpr std::array<SchemaMigration, 7> kMigrations{{
    {0, "initial schema", kInitialSchema},
    {1, "artifact checksums", kArtifactChecksums},
    {2, "export records", kExports},
    {3, "early stopping: the pruned state and learning curves", kLearningCurves},
    {4, "analog accuracy over time after programming", kAnalogAccuracy},
    {5, "what proposed each search trial", kProposedBy},
    {6, "workers sharing a study: trial holders and heartbeats", kWorkers},
}};

} // namespace

std::span<const SchemaMigration> studySchemaMigrations()
{
    return kMigrations;
}

int studySchemaVersion()
{
    return static_cast<int>(kMigrations.size());
}

int oldestReadOnlySchemaVersion()
{
    return 2;
}

} // namespace psc
