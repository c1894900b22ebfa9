// SPDX-License-Identifier: GPL-3.0-or-later
#include "helpwindows.h"

#include "psc/core/datapaths.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileInfo>
#include <QHeaderView>
#include <QPushButton>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <algorithm>

namespace psc {

QString DocumentationWindow::documentationFile()
{
    // Installed: <prefix>/share/paretoscope beside <prefix>/share/doc/paretoscope; source tree: resources/ beside
    // docs/.
    const QDir data(QString::fromStdString(paths::dataDir().string()));
    for (const QString &candidate : {QStringLiteral("../doc/paretoscope/gui.md"), QStringLiteral("../docs/gui.md")})
        if (QFileInfo(data.filePath(candidate)).isFile())
            return QDir::cleanPath(data.filePath(candidate));
    return {};
}

DocumentationWindow::DocumentationWindow(QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Paretoscope Documentation"));
    setObjectName(QStringLiteral("documentationWindow"));
    m_browser = new QTextBrowser(this);
    m_browser->setOpenExternalLinks(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto *back = buttons->addButton(tr("&Back"), QDialogButtonBox::ActionRole);
    back->setEnabled(false);
    connect(back, &QPushButton::clicked, m_browser, &QTextBrowser::backward);
    connect(m_browser, &QTextBrowser::backwardAvailable, back, &QPushButton::setEnabled);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_browser);
    layout->addWidget(buttons);
    resize(900, 700);
    const QString file = documentationFile();
    if (file.isEmpty()) {
        m_browser->setPlainText(tr("The documentation is not installed: neither %1 nor the source tree's docs/ "
                                   "exists.")
                                    .arg(QString::fromStdString((paths::dataDir() / "../doc/paretoscope").string())));
        return;
    }
    // QTextBrowser reads .md files as Markdown and follows relative links between them.
    m_browser->setSource(QUrl::fromLocalFile(file), QTextDocument::MarkdownResource);
}

ShortcutsDialog::ShortcutsDialog(QWidget *window, QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("Keyboard Shortcuts"));
    setObjectName(QStringLiteral("shortcutsDialog"));
    QList<QPair<QString, QString>> entries;
    for (const QAction *action : window->findChildren<QAction *>()) {
        if (action->shortcuts().isEmpty() || action->text().isEmpty())
            continue;
        QStringList keys;
        for (const QKeySequence &k : action->shortcuts())
            keys << k.toString(QKeySequence::NativeText);
        QString text = action->text();
        text.remove(QLatin1Char('&'));
        if (text.endsWith(QStringLiteral("…")))
            text.chop(1);
        const QPair<QString, QString> entry{text, keys.join(QStringLiteral(", "))};
        if (!entries.contains(entry))
            entries << entry;
    }
    std::sort(entries.begin(), entries.end());
    auto *table = new QTableWidget(int(entries.size()), 2, this);
    table->setHorizontalHeaderLabels({tr("Action"), tr("Shortcut")});
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    for (int i = 0; i < entries.size(); ++i) {
        table->setItem(i, 0, new QTableWidgetItem(entries[i].first));
        table->setItem(i, 1, new QTableWidgetItem(entries[i].second));
        m_rows << entries[i].first + QLatin1Char('\t') + entries[i].second;
    }
    table->resizeColumnsToContents();
    table->horizontalHeader()->setStretchLastSection(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(table);
    layout->addWidget(buttons);
    resize(480, 420);
}

} // namespace psc
