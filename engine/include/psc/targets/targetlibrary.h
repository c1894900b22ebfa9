// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/plugins/pluginregistry.h"

#include <psc/plugin/hardwaretarget.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace psc {

class PluginRegistry;

/** One parameter of a target file, with where its number comes from. */
struct TargetParameter
{
    std::string name;
    plugin::ParameterValue value;
    std::string unit;
    std::string source;
};

/** A target file (docs/formats/target.md): which cost model, configured how, and why. */
struct TargetDefinition
{
    std::string id;
    std::string name;
    std::string model;
    std::string description;
    std::filesystem::path file;
    std::vector<TargetParameter> parameters; ///< in file order
    std::string modelVersion;                ///< of the plugin that configured it
};

/**
 * The hardware targets known to a session: target files read from directories or named directly, each
 * configured by the cost-model plugin its "model" names. A file is fully checked when it is read (every
 * numeric parameter needs a source; the plugin validates the values), so a configured target never
 * fails later. Errors are InputError naming the file, line:column and JSON pointer.
 *
 * Loading is single-threaded; afterwards every const member may be used from any thread, and the
 * configured targets (pure, re-entrant) may estimate concurrently.
 */
class TargetLibrary
{
public:
    explicit TargetLibrary(const PluginRegistry &registry);
    ~TargetLibrary();
    TargetLibrary(TargetLibrary &&) noexcept;

    /** The bundled targets: $PSC_TARGETS_DIR if set, else paths::bundled("targets") (psc/core/datapaths.h). */
    static std::filesystem::path defaultDirectory();
    /**
     * The user's own target directories (paths::searchPath("targets") without the bundled one): XDG_DATA_HOME's
     * and XDG_DATA_DIRS' paretoscope/targets that exist, in that order.
     */
    static std::vector<std::filesystem::path> userDirectories();

    /**
     * The bundled targets, then the user's (userDirectories()). A user's target must have an id of its own: one
     * that repeats a bundled id is an error naming both files, so a copied and edited target never silently
     * replaces the one a study was costed with.
     */
    void loadDefaults();

    /** Reads every *.json in `dir` (sorted by name). Duplicate ids are an error naming both files. */
    void loadDirectory(const std::filesystem::path &dir);
    /** Reads one target file; returns its definition. */
    const TargetDefinition &loadFile(const std::filesystem::path &file);
    /** An id of a loaded target, or a path to a target file (loaded on demand). */
    const TargetDefinition &resolve(const std::string &idOrFile);

    std::vector<const TargetDefinition *> definitions() const;
    const TargetDefinition *find(const std::string &id) const;
    /** The configured target for a loaded id; nullptr if unknown. */
    std::shared_ptr<const plugin::HardwareTarget> target(const std::string &id) const;

private:
    struct Entry;
    const PluginRegistry &m_registry;
    std::vector<std::unique_ptr<Entry>> m_entries;
};

/**
 * The built-in plugins, loaded, and a library of the bundled and the user's targets (loadDefaults()): what a
 * command or a job that costs with the shipped targets needs, in one object (the library refers to the registry).
 * InputError if a bundled target file is broken. Not copyable or movable.
 */
struct BundledTargets
{
    PluginRegistry registry;
    TargetLibrary library{registry};
    BundledTargets();
    BundledTargets(const BundledTargets &) = delete;
    BundledTargets &operator=(const BundledTargets &) = delete;
};

} // namespace psc
