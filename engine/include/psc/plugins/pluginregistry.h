// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/hardwaretarget.h>
#include <psc/plugin/searchstrategy.h>

#include <QJsonObject>
#include <QString>

#include <memory>
#include <string>
#include <vector>

class QObject;

namespace psc {

/** What the registry knows about one plugin, read from its metadata before it is instantiated. */
struct PluginInfo
{
    QString id;
    QString kind; ///< "strategy" or "target"
    int apiVersion = 0;
    bool defaultEnable = true;
    QString description;
    /// Cost models (plugin.json "reference"): the reference tool or paper the model follows, on what it was checked
    /// and how closely, and its known departures with their size.
    QString follows, checked;
    QStringList departures;
    QString source;    ///< "built-in" or the plugin file's path
    QString rejection; ///< empty if usable, otherwise why it was not loaded
};

/**
 * Finds plugins: first the built-in ones linked statically into the executable, then shared-library
 * plugins in the given directories. Metadata (plugin.json: id, kind, apiVersion, defaultEnable) is
 * checked before a plugin is instantiated; a plugin with the wrong API version or kind is listed with
 * its rejection reason and never loaded. Not thread-safe while loading; after load() the lookups are
 * read-only and may be called from any thread.
 */
class PluginRegistry
{
public:
    PluginRegistry();
    ~PluginRegistry();

    /** Scans static plugins and `directories`; may be called once. */
    void load(const QStringList &directories = {});
    /**
     * Where a program looks for shared-library plugins besides the built-in ones: the entries of
     * $PSC_PLUGIN_PATH (colon-separated), then `<exe>/../lib/paretoscope/plugins` (docs/install.md); those that
     * exist.
     */
    static QStringList defaultDirectories();

    /** Checks one plugin's metadata (the "MetaData" object of QPluginLoader::metaData()); empty if acceptable. */
    static QString validateMetadata(const QString &iid, const QJsonObject &metaData);

    const std::vector<PluginInfo> &plugins() const { return m_infos; }
    std::vector<std::string> strategyIds() const;
    /** A strategy factory by id, or nullptr. The registry keeps ownership. */
    const plugin::StrategyFactory *strategy(const std::string &id) const;
    /**
     * Why strategy `id` refuses `optionsJson` (its configure() message, "population: expected ..."), or "" if it takes
     * them or no strategy has that id. What StudySpecNames::strategyOptionsProblem asks.
     */
    std::string strategyOptionsProblem(const std::string &id, const std::string &optionsJson) const;
    /** Cost-model ids (a target file's "model") of the loaded target plugins. */
    std::vector<std::string> targetModelIds() const;
    /** A target factory by model id, or nullptr. The registry keeps ownership. */
    const plugin::TargetFactory *targetModel(const std::string &modelId) const;

private:
    struct Entry;
    std::vector<PluginInfo> m_infos;
    std::vector<std::unique_ptr<Entry>> m_entries;
};

} // namespace psc
