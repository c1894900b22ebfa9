// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>
#include <QPointer>

class QAction;
class QProgressDialog;
class QWidget;

namespace psc {

class StudyController;

/**
 * The GUI's "Import Model…" action (File menu): adds a TFLite or ONNX model made elsewhere to the open study as an
 * external trial (docs/formats/import.md), as `paretoscope import MODEL --into STUDY` does: on a pool thread, with a
 * busy indicator, the model is read, costed on the study's targets, its deployed accuracy measured on the study's
 * test set, and the trial recorded (marked imported, not counted in the budget). Enabled while a study is open and
 * nothing runs on it. Reports through statusMessage() and imported(). GUI thread only.
 */
class ImportController : public QObject
{
    Q_OBJECT
public:
    ImportController(StudyController *controller, QWidget *window);

    QAction *action() const { return m_action; }
    /** Imports `modelFile` into the open study without asking (what the action does after its file dialog). */
    void importModel(const QString &modelFile);
    bool isImporting() const { return m_importing; }

Q_SIGNALS:
    void statusMessage(const QString &text);
    /** Trial id `trialId` was added; the controller has re-read the study. */
    void imported(qint64 trialId);

private:
    void updateAction();
    void chooseAndImport();

    StudyController *m_controller = nullptr;
    QWidget *m_window = nullptr;
    QAction *m_action = nullptr;
    QPointer<QProgressDialog> m_busy;
    bool m_importing = false;
};

} // namespace psc
