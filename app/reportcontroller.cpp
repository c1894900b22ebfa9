// SPDX-License-Identifier: GPL-3.0-or-later
#include "reportcontroller.h"

#include "studycontroller.h"

#include "models/trialset.h"
#include "plot/paretoplotwidget.h"
#include "views/reportdocument.h"
#include "views/studyview.h"

#include <QAction>
#include <QApplication>
#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>

namespace psc {

ReportController::ReportController(StudyController *controller, StudyView *view, QWidget *window)
    : QObject(window), m_controller(controller), m_view(view), m_window(window)
{
    m_action = new QAction(tr("Export &Report…"), this);
    m_action->setObjectName(QStringLiteral("exportReportAction"));
    m_action->setShortcut(Qt::CTRL | Qt::SHIFT | Qt::Key_R);
    m_action->setToolTip(tr("Write the study as one HTML or PDF file to hand on: summary, front, candidates, "
                            "compression paths and provenance"));
    m_action->setEnabled(false);
    connect(m_action, &QAction::triggered, this, &ReportController::exportInteractive);
    connect(m_controller, &StudyController::studyOpened, this, [this] { m_action->setEnabled(true); });
    connect(m_controller, &StudyController::studyClosed, this, [this] { m_action->setEnabled(false); });
}

QString ReportController::exportTo(const QString &path)
{
    if (!m_controller->hasStudy())
        return tr("no study is open");
    ReportInput in;
    in.spec = m_controller->spec();
    in.trials = m_view->trialSet()->trials();
    in.studyFile = m_controller->studyPath();
    for (const char *key : {"created_at", "created_with", "elapsed_seconds", "cost_models", "gui_shortlist"})
        if (const auto value = m_controller->studyMeta(QString::fromLatin1(key)))
            in.meta[key] = value->toStdString();
    in.targets = m_controller->targets();
    in.x = m_view->plot()->xMetric();
    in.y = m_view->plot()->yMetric();
    in.toolVersion = QCoreApplication::applicationVersion();
    try {
        QApplication::setOverrideCursor(Qt::WaitCursor);
        ReportDocument(std::move(in)).write(path, true);
        QApplication::restoreOverrideCursor();
    } catch (const std::exception &e) {
        QApplication::restoreOverrideCursor();
        return QString::fromUtf8(e.what());
    }
    return {};
}

void ReportController::exportInteractive()
{
    const QFileInfo study(m_controller->studyPath());
    const QString html = tr("HTML report, self-contained (*.html)");
    const QString pdf = tr("PDF report (*.pdf)");
    QString filter = html;
    QString path = QFileDialog::getSaveFileName(
        m_window, tr("Export Report"), study.dir().filePath(study.completeBaseName() + QStringLiteral("-report.html")),
        html + QStringLiteral(";;") + pdf, &filter);
    if (path.isEmpty())
        return;
    if (!ReportDocument::formats().contains(QFileInfo(path).suffix().toLower()))
        path += filter == pdf ? QStringLiteral(".pdf") : QStringLiteral(".html");
    if (const QString error = exportTo(path); !error.isEmpty()) {
        auto *box =
            new QMessageBox(QMessageBox::Warning, tr("Cannot write the report"), error, QMessageBox::Ok, m_window);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
        Q_EMIT statusMessage(tr("The report was not written"));
        return;
    }
    Q_EMIT statusMessage(tr("Wrote the report %1").arg(QDir::toNativeSeparators(path)));
}

} // namespace psc
