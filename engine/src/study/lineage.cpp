// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/study/lineage.h"

#include "psc/core/error.h"

#include <nlohmann/json.hpp>

namespace psc {
namespace {

using json = nlohmann::json;

constexpr const char *kCompressKey = "compress";
constexpr const char *kParentKey = "parent";
constexpr const char *kImportedKey = "imported";

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
    if (kind == Kind::Imported) {
        const std::size_t slash = importedFile.find_last_of('/');
        return "imported from " + (slash == std::string::npos ? importedFile : importedFile.substr(slash + 1));
    }
    if (variantName.empty())
        return variantSummary;
    return variantSummary.empty() ? variantName : variantName + " (" + variantSummary + ")";
}

std::optional<Lineage> decodeLineage(const Trial &trial)
{
    const json record = json::parse(trial.parametersJson, nullptr, false);
    if (!record.is_object())
        return std::nullopt;
    if (const auto imported = record.find(kImportedKey);
        isImported(trial) && imported != record.end() && imported->is_object()) {
        Lineage l;
        l.kind = Lineage::Kind::Imported;
        auto text = [&](const char *key) {
            const auto it = imported->find(key);
            return it != imported->end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        l.importedFile = text("file");
        l.importedFormat = text("format");
        l.importedSha256 = text("sha256");
        return l;
    }
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

std::string encodeImportLineage(const std::string &file, const std::string &format, const std::string &sha256)
{
    return json{{kImportedKey, {{"file", file}, {"format", format}, {"sha256", sha256}}}}.dump();
}

bool isImported(const Trial &trial)
{
    // The store's rule (StudyStore::trialCounts): the record's text starts with its one key. Cheap enough for every
    // trial of every plot refresh.
    return std::string_view(trial.parametersJson).starts_with(R"({"imported":)");
}

} // namespace psc
