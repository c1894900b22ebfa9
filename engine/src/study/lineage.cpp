// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/lineage.h"

#include "psc/core/error.h"

#include <nlohmann/json.hpp>

namespace psc {
namespace {

using json = nlohmann::json;

constexpr const char *kCompressKey = "compress";
constexpr const char *kParentKey = "parent";

std::string valueText(const json &value)
{
    if (value.is_string())
        return value.get<std::string>();
    if (value.is_boolean())
        return value.get<bool>() ? "yes" : "no";
    return value.dump(); // numbers as JSON writes them (4, 0.5), arrays compact
}

void summarise(const std::string &prefix, const json &value, std::string &out)
{
    if (value.is_object()) {
        for (const auto &[key, item] : value.items())
            summarise(prefix.empty() ? key : prefix + "." + key, item, out);
        return;
    }
    out += (out.empty() ? "" : ", ") + (prefix.empty() ? std::string() : prefix + " = ") + valueText(value);
}

} // namespace

std::string Lineage::variantText() const
{
    if (variantName.empty())
        return variantSummary;
    return variantSummary.empty() ? variantName : variantName + " (" + variantSummary + ")";
}

std::optional<Lineage> decodeLineage(const Trial &trial)
{
    const json record = json::parse(trial.parametersJson, nullptr, false);
    if (!record.is_object())
        return std::nullopt;
    const auto variant = record.find(kCompressKey);
    if (variant == record.end() || !variant->is_object())
        return std::nullopt;
    Lineage l;
    l.kind = Lineage::Kind::Compression;
    if (const auto parent = record.find(kParentKey); parent != record.end() && parent->is_number_integer())
        l.parentNumber = parent->get<std::int64_t>();
    json settings = *variant;
    if (const auto name = settings.find("name"); name != settings.end()) {
        if (name->is_string())
            l.variantName = name->get<std::string>();
        settings.erase(name);
    }
    summarise({}, settings, l.variantSummary);
    l.variantJson = variant->dump();
    return l;
}

std::string encodeCompressionLineage(std::string_view variantJson, std::int64_t parentNumber)
{
    json variant = json::parse(variantJson, nullptr, false);
    if (!variant.is_object())
        throw InputError("a compression lineage needs the variant as a JSON object, got: " + std::string(variantJson));
    return json{{kCompressKey, std::move(variant)}, {kParentKey, parentNumber}}.dump();
}

} // namespace psc
