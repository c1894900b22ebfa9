// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/plugins/pluginregistry.h"

#include "psc/core/datapaths.h"

#include <stdexcept>

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QPluginLoader>

#include <filesystem>

namespace psc {

struct PluginRegistry::Entry
{
    PluginInfo info;
    QObject *instance = nullptr;           ///< owned by Qt's plugin machinery
    std::unique_ptr<QPluginLoader> loader; ///< dynamic plugins only
    const plugin::StrategyFactory *strategy = nullptr;
    const plugin::TargetFactory *target = nullptr;
};

PluginRegistry::PluginRegistry() = default;
PluginRegistry::~PluginRegistry() = default;

QString PluginRegistry::validateMetadata(const QString &iid, const QJsonObject &meta)
{
    const QString id = meta.value("id").toString();
    if (id.isEmpty())
        return QStringLiteral("plugin.json has no \"id\"");
    const QString kind = meta.value("kind").toString();
    if (kind != QLatin1String("strategy") && kind != QLatin1String("target"))
        return QStringLiteral("unknown kind \"%1\" (expected \"strategy\" or \"target\")").arg(kind);
    if (!meta.value("apiVersion").isDouble() || meta.value("apiVersion").toInt() != plugin::kApiMajorVersion)
        return QStringLiteral("apiVersion %1 is not supported (this Paretoscope provides %2)")
            .arg(meta.value("apiVersion").toVariant().toString())
            .arg(plugin::kApiMajorVersion);
    const QLatin1String expected(kind == QLatin1String("strategy") ? PSC_STRATEGY_FACTORY_IID : PSC_TARGET_FACTORY_IID);
    if (iid != expected)
        return QStringLiteral("interface %1 does not match %2").arg(iid, expected);
    return {};
}

QStringList PluginRegistry::defaultDirectories()
{
    QStringList candidates = qEnvironmentVariable("PSC_PLUGIN_PATH").split(QLatin1Char(':'), Qt::SkipEmptyParts);
    if (const std::filesystem::path exe = paths::executableDir(); !exe.empty())
        candidates << QString::fromStdString((exe.parent_path() / "lib" / "paretoscope" / "plugins").string());
    QStringList out;
    for (const QString &c : candidates)
        if (QFileInfo(c).isDir() && !out.contains(QDir::cleanPath(c)))
            out << QDir::cleanPath(c);
    return out;
}

void PluginRegistry::load(const QStringList &directories)
{
    auto consider = [this](const QJsonObject &full, const QString &source, auto instantiate) {
        const QJsonObject meta = full.value("MetaData").toObject();
        auto entry = std::make_unique<Entry>();
        entry->info.id = meta.value("id").toString();
        entry->info.kind = meta.value("kind").toString();
        entry->info.apiVersion = meta.value("apiVersion").toInt();
        entry->info.defaultEnable = meta.value("defaultEnable").toBool(true);
        entry->info.description = meta.value("description").toString();
        const QJsonObject reference = meta.value("reference").toObject();
        entry->info.follows = reference.value("follows").toString();
        entry->info.checked = reference.value("checked").toString();
        for (const QJsonValue &d : reference.value("departures").toArray())
            entry->info.departures.push_back(d.toString());
        entry->info.source = source;
        entry->info.rejection = validateMetadata(full.value("IID").toString(), meta);
        for (const auto &other : m_entries)
            if (entry->info.rejection.isEmpty() && other->info.rejection.isEmpty() && other->info.id == entry->info.id)
                entry->info.rejection = QStringLiteral("duplicate id (already provided by %1)").arg(other->info.source);
        if (entry->info.rejection.isEmpty() && entry->info.defaultEnable) {
            entry->instance = instantiate(*entry);
            entry->strategy = qobject_cast<plugin::StrategyFactory *>(entry->instance);
            entry->target = qobject_cast<plugin::TargetFactory *>(entry->instance);
            if (!entry->strategy && !entry->target)
                entry->info.rejection =
                    QStringLiteral("implements neither %1 nor %2")
                        .arg(QLatin1String(PSC_STRATEGY_FACTORY_IID), QLatin1String(PSC_TARGET_FACTORY_IID));
        }
        m_infos.push_back(entry->info);
        m_entries.push_back(std::move(entry));
    };

    for (const QStaticPlugin &sp : QPluginLoader::staticPlugins())
        consider(sp.metaData(), QStringLiteral("built-in"), [&sp](Entry &) { return sp.instance(); });

    for (const QString &dirPath : directories) {
        const QDir dir(dirPath);
        for (const QString &file : dir.entryList(QDir::Files)) {
            auto loader = std::make_unique<QPluginLoader>(dir.absoluteFilePath(file));
            const QJsonObject md = loader->metaData();
            if (md.isEmpty())
                continue; // not a Qt plugin
            consider(md, loader->fileName(), [&loader](Entry &e) {
                e.loader = std::move(loader);
                return e.loader->instance();
            });
        }
    }
}

std::vector<std::string> PluginRegistry::strategyIds() const
{
    std::vector<std::string> ids;
    for (const auto &e : m_entries)
        if (e->strategy)
            ids.push_back(e->info.id.toStdString());
    return ids;
}

std::vector<std::string> PluginRegistry::targetModelIds() const
{
    std::vector<std::string> ids;
    for (const auto &e : m_entries)
        if (e->target)
            ids.push_back(e->target->modelId());
    return ids;
}

const plugin::TargetFactory *PluginRegistry::targetModel(const std::string &modelId) const
{
    for (const auto &e : m_entries)
        if (e->target && e->target->modelId() == modelId)
            return e->target;
    return nullptr;
}

const plugin::StrategyFactory *PluginRegistry::strategy(const std::string &id) const
{
    for (const auto &e : m_entries)
        if (e->strategy && e->info.id.toStdString() == id)
            return e->strategy;
    return nullptr;
}

std::string PluginRegistry::strategyOptionsProblem(const std::string &id, const std::string &optionsJson) const
{
    const plugin::StrategyFactory *factory = strategy(id);
    if (!factory)
        return {};
    try {
        factory->create()->configure(optionsJson);
    } catch (const std::invalid_argument &e) {
        return e.what();
    }
    return {};
}

} // namespace psc
