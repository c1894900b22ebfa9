// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/analysis.h"
#include "psc/net/networkparser.h"
#include "psc/targets/costinput.h"

#include <psc/plugin/hardwaretarget.h>

#include <string>

/**
 * @file
 * Test helper: the NetworkInfo the engine hands a cost model, built here from a real network file with the
 * engine's parser and analysis (the engine's own conversion is written in parallel; this one is ours, int8).
 */
namespace psc::test {

using namespace psc::plugin;

/** The NetworkInfo the engine hands the plugin, from a real network file. */
inline psc::plugin::NetworkInfo networkInfoFromFile(const std::string &file)
{
    const psc::NetworkDescription desc = psc::parseNetwork(std::string(PSC_SOURCE_DIR) + "/resources/networks/" + file);
    return psc::toNetworkInfo(desc, psc::analyzeNetwork(desc));
}

} // namespace psc::test
