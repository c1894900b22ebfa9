// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/targets/targetlibrary.h"

#include "core/jsonsource.h"
#include "psc/core/datapaths.h"
#include "psc/core/error.h"
#include "psc/plugins/pluginregistry.h"

#include <algorithm>
#include <cstdlib>

namespace psc {

struct TargetLibrary::Entry
{
    TargetDefinition definition;
    std::shared_ptr<const plugin::HardwareTarget> target;
};

TargetLibrary::TargetLibrary(const PluginRegistry &registry) : m_registry(registry) {}
TargetLibrary::~TargetLibrary() = default;
TargetLibrary::TargetLibrary(TargetLibrary &&) noexcept = default;

std::filesystem::path TargetLibrary::defaultDirectory()
{
    if (const char *env = std::getenv("PSC_TARGETS_DIR"); env && *env)
        return env;
    return paths::bundled("targets");
}

std::vector<std::filesystem::path> TargetLibrary::userDirectories()
{
    // searchPath() ends with the bundled directory; $PSC_TARGETS_DIR, when set, stands in for it.
    std::vector<std::filesystem::path> dirs = paths::searchPath("targets");
    std::error_code ec;
    for (const std::filesystem::path &bundled : {paths::bundled("targets"), defaultDirectory()})
        std::erase_if(dirs,
                      [&](const std::filesystem::path &d) { return std::filesystem::equivalent(d, bundled, ec); });
    return dirs;
}

void TargetLibrary::loadDefaults()
{
    loadDirectory(defaultDirectory());
    for (const std::filesystem::path &dir : userDirectories())
        loadDirectory(dir);
}

void TargetLibrary::loadDirectory(const std::filesystem::path &dir)
{
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw InputError(dir.string() + ": target directory not found");
    std::vector<std::filesystem::path> files;
    for (const auto &e : std::filesystem::directory_iterator(dir, ec))
        if (e.is_regular_file() && e.path().extension() == ".json")
            files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto &f : files)
        loadFile(f);
}

const TargetDefinition &TargetLibrary::loadFile(const std::filesystem::path &file)
{
    const JsonSource src = JsonSource::fromFile(file);
    const nlohmann::json &root = src.root();
    src.requireObject(root, "");
    src.checkKeys(root, "", {"id", "name", "model", "description", "parameters"});
    auto entry = std::make_unique<Entry>();
    TargetDefinition &d = entry->definition;
    d.file = file;
    d.id = src.requireString(root, "", "id");
    for (char c : d.id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            src.fail("/id", "expected letters, digits, '-', '_' or '.', got \"" + d.id + "\"");
    d.name = src.requireString(root, "", "name");
    d.model = src.requireString(root, "", "model");
    d.description = src.getString(root, "", "description", "");
    if (const TargetDefinition *other = find(d.id))
        src.fail("/id", "target id \"" + d.id + "\" is already defined by " + other->file.string());

    const plugin::TargetFactory *factory = m_registry.targetModel(d.model);
    if (!factory) {
        std::string known;
        for (const auto &m : m_registry.targetModelIds())
            known += (known.empty() ? "" : ", ") + m;
        src.fail("/model",
                 "unknown cost model \"" + d.model + "\" (installed: " + (known.empty() ? "none" : known) + ")");
    }

    const nlohmann::json &params = src.require(root, "", "parameters");
    src.requireObject(params, "/parameters");
    plugin::Parameters flat;
    for (auto it = params.begin(); it != params.end(); ++it) {
        const std::string pointer = JsonSource::child("/parameters", it.key());
        src.requireObject(it.value(), pointer);
        src.checkKeys(it.value(), pointer, {"value", "unit", "source"});
        TargetParameter p;
        p.name = it.key();
        const nlohmann::json &v = src.require(it.value(), pointer, "value");
        if (v.is_number())
            p.value.number = v.get<double>();
        else if (v.is_string())
            p.value.text = v.get<std::string>();
        else
            src.fail(JsonSource::child(pointer, "value"),
                     "expected a number or a string, got " + JsonSource::describe(v));
        p.unit = src.getString(it.value(), pointer, "unit", "");
        // Every number must say where it comes from: a datasheet, a paper, or "calibrated from ...".
        p.source = src.getString(it.value(), pointer, "source", "");
        if (p.value.number && p.source.find_first_not_of(" \t") == std::string::npos)
            src.fail(pointer, "numeric parameter \"" + p.name +
                                  "\" needs a \"source\" (datasheet, paper, or \"calibrated from ...\")");
        flat[p.name] = p.value;
        d.parameters.push_back(std::move(p));
    }

    plugin::ParameterError error;
    auto configured = factory->create(d.id, flat, error);
    if (!configured) {
        // The plugin names the parameter; the file knows where it is: its value if given, else the parameter set.
        std::string pointer = "/parameters";
        if (!error.parameter.empty() && params.contains(error.parameter))
            pointer = JsonSource::child(JsonSource::child("/parameters", error.parameter), "value");
        src.fail(pointer, (error.parameter.empty() ? "" : "parameter \"" + error.parameter + "\": ") + error.message);
    }
    d.modelVersion = factory->modelVersion();
    entry->target = std::move(configured);
    m_entries.push_back(std::move(entry));
    return m_entries.back()->definition;
}

const TargetDefinition &TargetLibrary::resolve(const std::string &idOrFile)
{
    if (const TargetDefinition *d = find(idOrFile))
        return *d;
    std::error_code ec;
    if (idOrFile.find('/') != std::string::npos || idOrFile.ends_with(".json") ||
        std::filesystem::is_regular_file(idOrFile, ec)) {
        // A file already loaded (a bundled target named by its path) is that target, not a clash with itself.
        for (const auto &e : m_entries)
            if (std::filesystem::equivalent(e->definition.file, idOrFile, ec))
                return e->definition;
        return loadFile(idOrFile);
    }
    std::string known;
    for (const auto &e : m_entries)
        known += (known.empty() ? "" : ", ") + e->definition.id;
    throw InputError("unknown target \"" + idOrFile + "\" (known: " + (known.empty() ? "none" : known) +
                     "; or give a target file path)");
}

std::vector<const TargetDefinition *> TargetLibrary::definitions() const
{
    std::vector<const TargetDefinition *> out;
    for (const auto &e : m_entries)
        out.push_back(&e->definition);
    return out;
}

const TargetDefinition *TargetLibrary::find(const std::string &id) const
{
    for (const auto &e : m_entries)
        if (e->definition.id == id)
            return &e->definition;
    return nullptr;
}

std::shared_ptr<const plugin::HardwareTarget> TargetLibrary::target(const std::string &id) const
{
    for (const auto &e : m_entries)
        if (e->definition.id == id)
            return e->target;
    return nullptr;
}

BundledTargets::BundledTargets()
{
    registry.load(PluginRegistry::defaultDirectories());
    library.loadDefaults();
}

} // namespace psc
