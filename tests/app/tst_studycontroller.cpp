// SPDX-License-Identifier: GPL-3.0-or-later
// StudyController without training: opening a study announces its trials, refresh() announces only what changed
// (written by another store, as a run in another process would), closing and bad files. Signals via QSignalSpy.
#include "studycontroller.h"

#include "psc/core/error.h"
#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace psc;

Q_DECLARE_METATYPE(std::vector<psc::Trial>)

namespace {

Trial made(TrialState state, double accuracy)
{
    Trial t;
    t.architectureJson = "{}";
    t.architectureHash = "h" + std::to_string(accuracy);
    t.parametersJson = "{}";
    t.recipeJson = "{}";
    t.state = state;
    if (state == TrialState::Complete)
        t.metrics = {{"", "accuracy", accuracy}, {"", "weight_bytes", 1000.0}};
    return t;
}

} // namespace

class TestStudyController : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<std::vector<psc::Trial>>(); }

    void openRefreshClose()
    {
        const StudySpec spec = StudySpec::fromFile(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json");
        const std::string file = m_dir.filePath(QStringLiteral("s.psc")).toStdString();
        auto writer = StudyStore::create(file, spec.toJson());
        Trial a = made(TrialState::Complete, 0.8), b = made(TrialState::Pending, 0);
        writer->insertTrial(a);
        writer->insertTrial(b);

        StudyController controller(ThreadBudget::forMachine(1));
        QSignalSpy opened(&controller, &StudyController::studyOpened);
        QSignalSpy changed(&controller, &StudyController::trialsChanged);
        QSignalSpy closed(&controller, &StudyController::studyClosed);
        controller.openStudy(QString::fromStdString(file));
        QCOMPARE(opened.size(), 1);
        QVERIFY(controller.hasStudy());
        QCOMPARE(controller.spec().name, spec.name);
        QCOMPARE(changed.size(), 1); // every trial so far, once
        QCOMPARE(int(changed.at(0).at(0).value<std::vector<Trial>>().size()), 2);
        QCOMPARE(int(controller.counts().complete), 1);

        // Another process finishes trial b and adds one: refresh() announces exactly those two.
        writer->finishTrial(b.id, TrialState::Complete, {{"", "accuracy", 0.9}}, "", 1.0);
        Trial c = made(TrialState::Pending, 0);
        writer->insertTrial(c);
        controller.refresh();
        QCOMPARE(changed.size(), 2);
        const auto latest = changed.at(1).at(0).value<std::vector<Trial>>();
        QCOMPARE(int(latest.size()), 2);
        QCOMPARE(latest[0].id, b.id);
        QVERIFY(latest[0].state == TrialState::Complete);
        QCOMPARE(latest[1].id, c.id);
        controller.refresh(); // nothing new: no signal
        QCOMPARE(changed.size(), 2);

        // What cannot be compressed says why.
        QCOMPARE(controller.whyNoTrainedModel(latest[1], QStringLiteral("compress")),
                 QStringLiteral("Trial 2 is pending: only complete (trained) trials can be compressed"));
        QCOMPARE(controller.whyNoTrainedModel(latest[1], QStringLiteral("export")),
                 QStringLiteral("Trial 2 is pending: only complete (trained) trials can be exported"));
        QCOMPARE(controller.whyNoTrainedModel(latest[0], QStringLiteral("export")),
                 QStringLiteral("Trial 1 has no trained weights stored"));

        controller.closeStudy();
        QCOMPARE(closed.size(), 1);
        QVERIFY(!controller.hasStudy());
        QVERIFY(!controller.isRunning());
    }

    void badFilesAreRefused()
    {
        StudyController controller(ThreadBudget::forMachine(1));
        QSignalSpy opened(&controller, &StudyController::studyOpened);
        const QString text = m_dir.filePath(QStringLiteral("notes.psc"));
        QFile f(text);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not a study");
        f.close();
        try {
            controller.openStudy(text);
            QFAIL("expected an InputError");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).contains(QStringLiteral("not a Paretoscope study")), e.what());
        }
        QCOMPARE(opened.size(), 0);
        QVERIFY(!controller.hasStudy());
        QVERIFY_THROWS_EXCEPTION(RuntimeError, controller.run()); // nothing open to run
    }
};

QTEST_MAIN(TestStudyController)
#include "tst_studycontroller.moc"
