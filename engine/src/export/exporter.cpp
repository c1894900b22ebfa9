// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/export/exporter.h"

#include "export/exporters.h"

#include "psc/core/error.h"

#include <array>
#include <utility>

namespace psc {
namespace {

constexpr std::array<std::pair<ExportFormat, std::string_view>, 3> kFormats{{
    {ExportFormat::Tflite, "tflite"},
    {ExportFormat::Onnx, "onnx"},
    {ExportFormat::C, "c"},
}};

} // namespace

std::string_view toString(ExportFormat format)
{
    for (const auto &[f, name] : kFormats)
        if (f == format)
            return name;
    return "?";
}

std::optional<ExportFormat> exportFormatFromString(std::string_view text)
{
    for (const auto &[f, name] : kFormats)
        if (name == text)
            return f;
    return std::nullopt;
}

std::string exportFormatNames()
{
    std::string out;
    for (const auto &[f, name] : kFormats)
        out += (out.empty() ? "" : ", ") + std::string(name);
    return out;
}

std::unique_ptr<Exporter> makeExporter(ExportFormat format)
{
    switch (format) {
    case ExportFormat::C:
        return makeCExporter();
    case ExportFormat::Tflite:
        return makeTfliteExporter();
    case ExportFormat::Onnx:
        break;
    }
    throw InputError("export format \"" + std::string(toString(format)) +
                     "\" is not available in this build yet; available: c, tflite");
}

} // namespace psc
