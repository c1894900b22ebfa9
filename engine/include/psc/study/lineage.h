// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/study/trial.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace psc {

/**
 * How a derived trial came about, decoded from its parametersJson. The record is written by
 * encodeCompressionLineage() and read by decodeLineage() only: the CLI and the widgets present a Lineage, they
 * never parse the record themselves (docs/database.md, "parameters_json").
 */
struct Lineage
{
    enum class Kind
    {
        Compression, ///< `paretoscope compress` / the GUI's Compress: {"compress": VARIANT, "parent": N}
        Imported,    ///< a model made elsewhere: {"imported": {"file": PATH, "format": "tflite", "sha256": HEX}}
    };
    Kind kind = Kind::Compression;
    std::optional<std::int64_t> parentNumber; ///< the parent's trial number as recorded; nullopt if missing
    std::string variantName;                  ///< the variant's "name" ("int4"); empty if it has none
    /// The variant's settings other than its name as "key = value" pairs joined by ", ", in the record's key
    /// order (alphabetical), nested keys joined with dots: "sparsity.pattern = dbb, weight_bits = 4".
    std::string variantSummary;
    std::string variantJson;    ///< the variant object as recorded (compact JSON)
    std::string importedFile;   ///< Imported: the model file as it was named
    std::string importedFormat; ///< Imported: "tflite" or "onnx"
    std::string importedSha256; ///< Imported: of the file's bytes

    /** "int4 (weight_bits = 4)", or whichever of the name and the summary exists; "imported from best.tflite". */
    std::string variantText() const;
};

/**
 * The lineage record of `trial`, or nullopt for a trial that was not derived from another (search trials,
 * whose parametersJson holds their search-space choices) or whose record cannot be parsed. Never throws.
 * Pure; any thread.
 */
std::optional<Lineage> decodeLineage(const Trial &trial);

/**
 * The parametersJson of a compressed child: {"compress": VARIANT, "parent": parentNumber}, where `variantJson`
 * is CompressionVariant::canonicalJson(). Equal inputs give byte-identical text (the runner compares records
 * to find children derived before). Throws InputError if `variantJson` is not a JSON object.
 */
std::string encodeCompressionLineage(std::string_view variantJson, std::int64_t parentNumber);

/**
 * The parametersJson of an imported trial: {"imported": {"file": file, "format": format, "sha256": sha256}}. Its text
 * starts with {"imported": (the store counts search trials without it; docs/database.md). Pure.
 */
std::string encodeImportLineage(const std::string &file, const std::string &format, const std::string &sha256);

/** True for a trial recorded by encodeImportLineage(): not a search trial, not derived. Checks the text's start only.
 */
bool isImported(const Trial &trial);

} // namespace psc
