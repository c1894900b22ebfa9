// SPDX-License-Identifier: GPL-3.0-or-later
#include "recentfiles.h"

#include "psc/study/studylocation.h"

#include <QDir>
#include <QFileInfo>
#include <QMenu>
#include <QSettings>

namespace psc {
namespace {

const QString kKey = QStringLiteral("recentFiles");

} // namespace

RecentFiles::RecentFiles(QMenu *menu, QObject *parent) : QObject(parent), m_menu(menu)
{
    // Read when the menu opens: files may have been deleted meanwhile, or added by another window.
    connect(m_menu, &QMenu::aboutToShow, this, &RecentFiles::rebuildMenu);
    rebuildMenu();
}

namespace {

/** One spelling per file: symbolic links, "." and ".." resolved, so that one study is listed once. */
QString canonical(const QString &path)
{
    if (StudyLocation::isUrl(path.toStdString())) // a server study: its URL is its one spelling
        return path;
    const QFileInfo info(path);
    const QString resolved = info.canonicalFilePath();
    return resolved.isEmpty() ? QDir::cleanPath(info.absoluteFilePath()) : resolved;
}

} // namespace

QStringList RecentFiles::files() const
{
    QStringList out;
    const QStringList stored = QSettings().value(kKey).toStringList();
    for (const QString &f : stored) {
        if (!StudyLocation::isUrl(f.toStdString()) && !QFileInfo::exists(f))
            continue;
        const QString c = canonical(f);
        if (!out.contains(c) && out.size() < maxFiles())
            out << c;
    }
    return out;
}

void RecentFiles::add(const QString &path)
{
    const QString file = canonical(path);
    QStringList list = files();
    list.removeAll(file);
    list.prepend(file);
    store(list.mid(0, maxFiles()));
}

void RecentFiles::remove(const QString &path)
{
    QStringList list = files();
    list.removeAll(canonical(path));
    store(list);
}

void RecentFiles::clear()
{
    store({});
}

void RecentFiles::store(const QStringList &files)
{
    QSettings().setValue(kKey, files);
    rebuildMenu();
}

void RecentFiles::rebuildMenu()
{
    m_menu->clear();
    const QStringList list = files();
    for (int i = 0; i < list.size(); ++i) {
        const QString &path = list[i];
        // "&1 name.psc": the number is a keyboard accelerator; the full path is in the tooltip.
        QAction *action = m_menu->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(QFileInfo(path).fileName()));
        action->setToolTip(QDir::toNativeSeparators(path));
        action->setStatusTip(QDir::toNativeSeparators(path));
        connect(action, &QAction::triggered, this, [this, path] { Q_EMIT fileChosen(path); });
    }
    if (!list.isEmpty()) {
        m_menu->addSeparator();
        m_menu->addAction(tr("Clear List"), this, &RecentFiles::clear);
    }
    m_menu->setToolTipsVisible(true);
    m_menu->setEnabled(!list.isEmpty());
}

} // namespace psc
