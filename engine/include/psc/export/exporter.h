// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace psc {

class IntegerModel;

/** The deployment formats a trial's integer model can be written to (docs/formats/export-*.md). */
enum class ExportFormat
{
    Tflite,
    Onnx,
    C,
};

/** "tflite", "onnx" or "c". */
std::string_view toString(ExportFormat format);
std::optional<ExportFormat> exportFormatFromString(std::string_view text);
/** The names exportFormatFromString() accepts, for messages: "tflite, onnx, c". */
std::string exportFormatNames();

/** One file an export writes: a name ("model.c", "model.h") and its bytes. */
struct ExportedFile
{
    std::string name;
    std::string bytes;
};

/** What an exporter produced for one model. */
struct ExportOutput
{
    /** The files, the main one first (the one the user named with --out). */
    std::vector<ExportedFile> files;
    /**
     * Where a gain the plot shows is not realised by the files ("layer fc1: 75 % sparsity stored dense"), or what
     * the format changed (a Kronecker layer expanded). Written into the files' metadata where the format has any.
     */
    std::vector<std::string> warnings;
    /** Format-specific figures worth printing and recording, e.g. {"arena_bytes", 12288}. */
    std::vector<std::pair<std::string, double>> figures;
};

/** Naming of the files and symbols an exporter writes. */
struct ExportOptions
{
    /** The main file's name without extension; the C export names its header after it. */
    std::string baseName = "model";
    /** A line identifying the source, written into the files (e.g. "study demo.psc, trial 7"). */
    std::string source;
};

/**
 * Writes an IntegerModel (the bit-exact integer reference: the same weights, scales, zero points and
 * requantisation) in one deployment format. Implementations are pure: no I/O, any thread. Throws InputError for a
 * network the format cannot express, naming the layer.
 */
class Exporter
{
public:
    virtual ~Exporter() = default;
    virtual ExportFormat format() const = 0;
    /** The file extension of the main file, without the dot ("tflite", "onnx", "c"). */
    virtual std::string extension() const = 0;
    virtual ExportOutput write(const IntegerModel &model, const ExportOptions &options) const = 0;
};

/** The exporter for `format`. */
std::unique_ptr<Exporter> makeExporter(ExportFormat format);

} // namespace psc
