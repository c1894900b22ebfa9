// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/searchstrategy.h>

#include <QObject>

class MoboStrategyPlugin : public QObject, public psc::plugin::StrategyFactory
{
    Q_OBJECT
    Q_PLUGIN_METADATA(IID PSC_STRATEGY_FACTORY_IID FILE "plugin.json")
    Q_INTERFACES(psc::plugin::StrategyFactory)
public:
    std::string id() const override { return "mobo"; }
    std::string description() const override;
    std::unique_ptr<psc::plugin::SearchStrategy> create() const override;
};
