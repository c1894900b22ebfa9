// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/net/analysis.h"

#include "psc/core/siformat.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace psc {

namespace {

/** 1234567 -> "1,234,567": MAC counts are read by eye, so group the digits. */
std::string grouped(std::int64_t value)
{
    const std::string digits = std::to_string(value);
    const std::size_t sign = value < 0 ? 1 : 0;
    std::string out;
    for (std::size_t k = 0; k < digits.size(); ++k) {
        if (k > sign && (digits.size() - k) % 3 == 0)
            out += ',';
        out += digits[k];
    }
    return out;
}

/** Bytes in binary units, as everywhere else: "512 B", "12.3 KiB", "1.50 MiB". */
std::string humanBytes(std::int64_t bytes)
{
    return formatQuantity(double(bytes), "B");
}

struct Column
{
    std::string title;
    bool rightAligned;
    std::vector<std::string> cells;
    std::size_t width() const
    {
        std::size_t w = title.size();
        for (const auto &cell : cells)
            w = std::max(w, cell.size());
        return w;
    }
};

std::string padded(const std::string &text, std::size_t width, bool right)
{
    const std::string fill(width > text.size() ? width - text.size() : 0, ' ');
    return right ? fill + text : text + fill;
}

nlohmann::ordered_json shapeJson(const Shape &shape)
{
    return {{"channels", shape.channels}, {"height", shape.height}, {"width", shape.width}};
}

} // namespace

std::string formatAnalysisTable(const ModelAnalysis &a)
{
    std::vector<Column> columns = {{"#", true, {}},       {"name", false, {}},      {"type", false, {}},
                                   {"output", false, {}}, {"MACs", true, {}},       {"params", true, {}},
                                   {"weights", true, {}}, {"output mem", true, {}}, {"inputs", false, {}}};
    for (const LayerAnalysis &l : a.layers) {
        // Only list inputs when they are not simply the previous layer, so branches stand out.
        const bool previous =
            l.inputs.size() == 1 &&
            (l.index == 0 ? l.inputs[0] == kNetworkInputName : l.inputs[0] == a.layers[std::size_t(l.index) - 1].name);
        std::string inputs;
        for (const auto &name : l.inputs)
            inputs += (inputs.empty() ? "" : ", ") + name;
        std::string weights = l.weightBits > 0 ? humanBytes(l.weightBytes) : "-";
        if (l.foldedIntoProducer)
            weights += " (folded)";
        const std::vector<std::string> row = {
            std::to_string(l.index), l.name,  std::string(toString(l.type)), toString(l.outputShape), grouped(l.macs),
            grouped(l.params),       weights, humanBytes(l.activationBytes), previous ? "" : inputs};
        for (std::size_t k = 0; k < columns.size(); ++k)
            columns[k].cells.push_back(row[k]);
    }

    std::string out = "Network \"" + a.networkName + "\": input " + toString(a.inputShape) + " at " +
                      std::to_string(a.inputBits) + " bits (" + humanBytes(a.inputBytes) + "), " +
                      std::to_string(a.layers.size()) + " layers\n\n";
    std::vector<std::size_t> widths;
    for (const Column &column : columns)
        widths.push_back(column.width());
    const auto line = [&](auto cellOf) {
        std::string text;
        for (std::size_t k = 0; k < columns.size(); ++k)
            text += (k ? "  " : "") + padded(cellOf(k), widths[k], columns[k].rightAligned);
        while (!text.empty() && text.back() == ' ')
            text.pop_back();
        return text + "\n";
    };
    out += line([&](std::size_t k) { return columns[k].title; });
    out += line([&](std::size_t k) { return std::string(widths[k], '-'); });
    for (std::size_t row = 0; row < a.layers.size(); ++row)
        out += line([&](std::size_t k) { return columns[k].cells[row]; });

    const std::string peakLayer =
        a.layers.empty() ? std::string() : " at layer \"" + a.layers[std::size_t(a.peakLiveLayer)].name + "\"";
    out += "\nTotal MACs:        " + grouped(a.totalMacs) + "\n";
    out += "Other ops:         " + grouped(a.totalOps) + "\n";
    out += "Parameters:        " + grouped(a.totalParams) + "\n";
    out += "Weight memory:     " + humanBytes(a.totalWeightBytes) + " (" + grouped(a.totalWeightBytes) + " B)\n";
    out += "Largest tensor:    " + humanBytes(a.largestTensorBytes) + "\n";
    out += "Peak live tensors: " + humanBytes(a.peakLiveBytes) + " (" + grouped(a.peakLiveBytes) + " B)" + peakLayer +
           "\n";
    out += "Arena (greedy):    " + humanBytes(a.arenaBytes) + " (" + grouped(a.arenaBytes) + " B, " +
           std::to_string(a.arenaAlignment) + "-byte aligned)\n";
    return out;
}

std::string analysisToJson(const ModelAnalysis &a, bool pretty)
{
    using Json = nlohmann::ordered_json;
    Json root = Json::object();
    root["network"] = a.networkName;
    root["input"] = {{"shape", shapeJson(a.inputShape)},
                     {"bits", a.inputBits},
                     {"bytes", a.inputBytes},
                     {"last_use", a.inputLastUse},
                     {"arena_offset", a.inputArenaOffset}};
    Json layers = Json::array();
    for (const LayerAnalysis &l : a.layers) {
        Json shapes = Json::array();
        for (const Shape &s : l.inputShapes)
            shapes.push_back(shapeJson(s));
        Json layer = {{"index", l.index},
                      {"name", l.name},
                      {"type", std::string(toString(l.type))},
                      {"inputs", l.inputs},
                      {"input_shapes", shapes},
                      {"output_shape", shapeJson(l.outputShape)},
                      {"macs", l.macs},
                      {"ops", l.ops},
                      {"params", l.params},
                      {"weight_bits", l.weightBits},
                      {"weight_bytes", l.weightBytes},
                      {"activation_bits", l.activationBits},
                      {"activation_bytes", l.activationBytes},
                      {"last_use", l.lastUse},
                      {"arena_offset", l.arenaOffset}};
        if (l.type == LayerType::BatchNorm)
            layer["folded"] = l.foldedIntoProducer;
        if (isFactorized(l.type))
            layer["intermediate_bytes"] = l.intermediateBytes;
        layers.push_back(std::move(layer));
    }
    root["layers"] = std::move(layers);
    root["totals"] = {{"macs", a.totalMacs},
                      {"ops", a.totalOps},
                      {"params", a.totalParams},
                      {"weight_bytes", a.totalWeightBytes},
                      {"largest_tensor_bytes", a.largestTensorBytes},
                      {"peak_live_bytes", a.peakLiveBytes},
                      {"peak_live_layer", a.peakLiveLayer},
                      {"arena_bytes", a.arenaBytes},
                      {"arena_alignment", a.arenaAlignment}};
    return root.dump(pretty ? 2 : -1, ' ', false, Json::error_handler_t::replace);
}

} // namespace psc
