// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace psc {

/**
 * Where Paretoscope finds its files (docs/install.md, *Where files are looked up*). Three kinds of place:
 *
 * - **Bundled data** (targets, networks, spaces, studies, compression configs, the Cortex-M harness): the
 *   first of `$PSC_DATA_DIR`; `<exe>/../share/paretoscope` when that holds the bundled targets (an installed
 *   program, whatever its prefix or DESTDIR); the source tree's `resources/` (a program run from its build
 *   tree).
 * - **Program modules** (the training module, the instruction-counting QEMU plugin): beside the executable,
 *   then `<exe>/../lib/paretoscope`, then the build tree.
 * - **The user's own targets and spaces**: `$XDG_DATA_HOME/paretoscope/<kind>` (default
 *   `~/.local/share/paretoscope/<kind>`), then `<dir>/paretoscope/<kind>` for each entry of `$XDG_DATA_DIRS`
 *   (default `/usr/local/share:/usr/share`), as the XDG Base Directory specification orders them. An entry whose
 *   `paretoscope` directory holds an installation's bundled data (it has `studies/`) is skipped: those are another
 *   program's bundled targets, not the site's own.
 *
 * The executable's directory comes from QCoreApplication when one exists, else from /proc/self/exe. Any thread.
 */
namespace paths {

/** The bundled data directory (see above). Never empty. */
std::filesystem::path dataDir();

/** A bundled file or directory: `dataDir() / relative`, e.g. "targets" or "compress/fashion-mnist-demo.json". */
std::filesystem::path bundled(std::string_view relative);

/** The directory of the running executable; empty if it cannot be determined. */
std::filesystem::path executableDir();

/**
 * The user's directories for `kind` ("targets", "spaces") in lookup order, followed by the bundled one: every
 * directory that exists, each once. The user's come first so that a name the user defines is found before a
 * bundled one of the same name.
 */
std::vector<std::filesystem::path> searchPath(std::string_view kind);

/** The user's own directory for `kind`: `$XDG_DATA_HOME/paretoscope/<kind>` (it may not exist yet). */
std::filesystem::path userDir(std::string_view kind);

/**
 * A search space named without a path ("fashion-mnist-demo"): the first `<dir>/<name>.json` along
 * searchPath("spaces"). Throws InputError listing the names available (with a did-you-mean) when none exists.
 */
std::filesystem::path findSpace(const std::string &name);

} // namespace paths
} // namespace psc
