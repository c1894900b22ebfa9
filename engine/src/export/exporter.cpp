// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/export/exporter.h"

#include "export/exporters.h"

#include "psc/core/error.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
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

ExpandedKronecker expandKronecker(const LayerSpec &l, const LayerQuantization &q)
{
    const int o1 = l.kronA.out, i1 = l.kronA.in, o2 = l.kronB.out, i2 = l.kronB.in;
    const int in = i1 * i2, out = o1 * o2;
    std::vector<double> real(std::size_t(out) * std::size_t(in));
    for (int p = 0; p < o1; ++p)
        for (int a = 0; a < i1; ++a)
            for (int r = 0; r < o2; ++r)
                for (int b = 0; b < i2; ++b)
                    real[std::size_t((p * o2 + r) * in + a * i2 + b)] =
                        q.weightScales[std::size_t(p)] * q.weights[std::size_t(p * i1 + a)] *
                        q.factorScales[std::size_t(r)] * q.factorWeights[std::size_t(r * i2 + b)];
    ExpandedKronecker k;
    k.weights.resize(real.size());
    k.scales.resize(std::size_t(out));
    k.bias.resize(std::size_t(out));
    const double inScale = q.inputs.at(0).scale;
    for (int c = 0; c < out; ++c) {
        double m = 0;
        for (int e = 0; e < in; ++e)
            m = std::max(m, std::abs(real[std::size_t(c * in + e)]));
        const double s = m > 0 ? m / 127.0 : 1.0;
        k.scales[std::size_t(c)] = s;
        for (int e = 0; e < in; ++e)
            k.weights[std::size_t(c * in + e)] =
                std::int8_t(std::clamp(std::nearbyint(real[std::size_t(c * in + e)] / s), -127.0, 127.0));
        // The reference's bias is relative to the intermediate's scale: the same real value, re-expressed.
        const double realBias =
            double(q.bias[std::size_t(c)]) * q.intermediate.scale * q.weightScales[std::size_t(c / o2)];
        k.bias[std::size_t(c)] = std::int32_t(std::nearbyint(realBias / (inScale * s)));
    }
    char line[256];
    std::snprintf(line, sizeof line,
                  "layer %s: kronecker has no operator in this format; written expanded to its %d x %d product (%d "
                  "int8 weights instead of %zu), re-quantised: outputs may differ from the integer reference",
                  l.name.c_str(), out, in, out * in, q.weights.size() + q.factorWeights.size());
    k.warning = line;
    return k;
}

std::unique_ptr<Exporter> makeExporter(ExportFormat format)
{
    switch (format) {
    case ExportFormat::C:
        return makeCExporter();
    case ExportFormat::Tflite:
        return makeTfliteExporter();
    case ExportFormat::Onnx:
        return makeOnnxExporter();
    }
    throw InputError("unknown export format");
}

std::string joinedWarnings(const std::vector<std::string> &warnings)
{
    std::string text;
    for (const std::string &w : warnings)
        text += w + "\n";
    return text;
}

} // namespace psc
