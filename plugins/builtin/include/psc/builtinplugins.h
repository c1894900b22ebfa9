// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace psc {

/**
 * Links the plugins that ship inside the executable (static Qt plugins). Call once from main(), or a
 * test's initTestCase(), before PluginRegistry::load(); calling it is what keeps the linker from
 * dropping them.
 */
void importBuiltinPlugins();

} // namespace psc
