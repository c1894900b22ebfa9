// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/core/datapaths.h"

#include "psc/core/error.h"
#include "psc/core/suggestion.h"

#include <QCoreApplication>

#include <algorithm>
#include <cstdlib>
#include <system_error>

namespace fs = std::filesystem;

namespace psc::paths {
namespace {

std::string environment(const char *name)
{
    const char *value = std::getenv(name);
    return value ? std::string(value) : std::string();
}

bool isDirectory(const fs::path &p)
{
    std::error_code ec;
    return !p.empty() && fs::is_directory(p, ec);
}

/** `p` made absolute and normal where it exists, so that two spellings of one directory compare equal. */
fs::path canonicalOr(const fs::path &p)
{
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    return ec ? p.lexically_normal() : c;
}

/** The installed layout's data directory, if this executable is installed: <exe>/../share/paretoscope. */
fs::path installedDataDir()
{
    const fs::path exe = executableDir();
    if (exe.empty())
        return {};
    const fs::path dir = canonicalOr(exe / ".." / "share" / "paretoscope");
    return isDirectory(dir / "targets") ? dir : fs::path();
}

std::vector<fs::path> xdgDataDirs()
{
    std::vector<fs::path> dirs;
    std::string list = environment("XDG_DATA_DIRS");
    if (list.empty())
        list = "/usr/local/share:/usr/share";
    std::size_t start = 0;
    while (start <= list.size()) {
        const std::size_t end = std::min(list.find(':', start), list.size());
        const std::string entry = list.substr(start, end - start);
        if (!entry.empty() && fs::path(entry).is_absolute()) // the specification ignores relative entries
            dirs.emplace_back(entry);
        start = end + 1;
    }
    return dirs;
}

fs::path xdgDataHome()
{
    const std::string home = environment("XDG_DATA_HOME");
    if (!home.empty() && fs::path(home).is_absolute())
        return home;
    const std::string user = environment("HOME");
    return user.empty() ? fs::path() : fs::path(user) / ".local" / "share";
}

} // namespace

fs::path executableDir()
{
    if (QCoreApplication::instance())
        return fs::path(QCoreApplication::applicationDirPath().toStdString());
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : exe.parent_path();
}

fs::path dataDir()
{
    if (const std::string env = environment("PSC_DATA_DIR"); !env.empty())
        return env;
    if (fs::path installed = installedDataDir(); !installed.empty())
        return installed;
    return PSC_RESOURCES_DIR;
}

fs::path bundled(std::string_view relative)
{
    return dataDir() / fs::path(relative);
}

fs::path userDir(std::string_view kind)
{
    const fs::path home = xdgDataHome();
    return home.empty() ? fs::path() : home / "paretoscope" / fs::path(kind);
}

std::vector<fs::path> searchPath(std::string_view kind)
{
    std::vector<fs::path> candidates{userDir(kind)};
    for (const fs::path &d : xdgDataDirs())
        // A Paretoscope installation's bundled data (it has the bundled studies) is that program's, not site data:
        // a build tree run beside an installed package must not read the package's targets as the user's.
        if (!isDirectory(d / "paretoscope" / "studies"))
            candidates.push_back(d / "paretoscope" / fs::path(kind));
    candidates.push_back(bundled(kind));
    std::vector<fs::path> out;
    for (const fs::path &c : candidates) {
        if (!isDirectory(c))
            continue;
        const fs::path canonical = canonicalOr(c);
        if (std::find(out.begin(), out.end(), canonical) == out.end())
            out.push_back(canonical);
    }
    return out;
}

fs::path findSpace(const std::string &name)
{
    const std::vector<fs::path> dirs = searchPath("spaces");
    std::vector<std::string> known;
    for (const fs::path &dir : dirs) {
        const fs::path file = dir / (name + ".json");
        std::error_code ec;
        if (fs::is_regular_file(file, ec))
            return file;
        for (const auto &e : fs::directory_iterator(dir, ec))
            if (e.path().extension() == ".json" &&
                std::find(known.begin(), known.end(), e.path().stem().string()) == known.end())
                known.push_back(e.path().stem().string());
    }
    std::sort(known.begin(), known.end());
    std::string list;
    for (const std::string &k : known)
        list += (list.empty() ? "" : ", ") + k;
    std::string where;
    for (const fs::path &dir : dirs)
        where += (where.empty() ? "" : ", ") + dir.string();
    throw InputError("no search space named \"" + name + "\"" + didYouMean(name, known) + " (known: " +
                     (list.empty() ? "none" : list) + "; looked in " + (where.empty() ? "no directory" : where) + ")");
}

} // namespace psc::paths
