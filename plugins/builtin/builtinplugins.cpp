// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/builtinplugins.h"

#include <QtPlugin>

Q_IMPORT_PLUGIN(RandomStrategyPlugin)

namespace psc {

void importBuiltinPlugins()
{
    // Q_IMPORT_PLUGIN registers through a static initialiser in this translation unit; referencing the
    // unit from main() is all that is needed.
}

} // namespace psc
