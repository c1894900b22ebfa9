// SPDX-License-Identifier: GPL-3.0-or-later
// `paretoscope plot`, driven through the real executable.
#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace psc;

namespace {

struct Result
{
    int exitCode = -1;
    QString out;
    QString err;
};

Result runPlot(const QStringList &args)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(PSC_APP_EXECUTABLE), QStringList{QStringLiteral("plot")} + args);
    if (!p.waitForFinished(60000))
        return {};
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

QByteArray head(const QString &path, int bytes)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.read(bytes) : QByteArray();
}

} // namespace

class TestPlotCommand : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_study;

private Q_SLOTS:
    void initTestCase()
    {
        m_study = m_dir.filePath(QStringLiteral("study.psc"));
        const StudySpec spec = StudySpec::fromFile(PSC_SOURCE_DIR "/resources/studies/fashion-mnist-demo.json");
        auto store = StudyStore::create(m_study.toStdString(), spec.toJson());
        for (int i = 0; i < 6; ++i) {
            Trial t;
            store->insertTrial(t);
            store->finishTrial(t.id, TrialState::Complete,
                               {{"", "accuracy", 0.6 + 0.05 * i},
                                {"", "weight_bytes", 4000.0 * (1 + (i * 5) % 7)},
                                {"", "macs", 2e5 * (1 + i)}},
                               "", 1.0);
        }
    }

    void writesAllFormats()
    {
        const QString out = m_dir.filePath(QStringLiteral("out"));
        const Result r = runPlot({m_study, QStringLiteral("--out"), out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QStringList lines = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        const QString base = QDir(out).filePath(QStringLiteral("fashion-mnist-demo-pareto."));
        QCOMPARE(lines, (QStringList{base + "png", base + "svg", base + "pdf"}));
        QCOMPARE(head(base + "png", 4), QByteArray("\x89PNG"));
        QVERIFY(head(base + "svg", 400).contains("<svg"));
        QCOMPARE(head(base + "pdf", 5), QByteArray("%PDF-"));
    }

    void chosenAxesAndFormats()
    {
        const QString out = m_dir.filePath(QStringLiteral("axes"));
        const Result r = runPlot({m_study, QStringLiteral("--out"), out, QStringLiteral("--x"), QStringLiteral("macs"),
                                  QStringLiteral("--y"), QStringLiteral("weight_bytes"), QStringLiteral("--formats"),
                                  QStringLiteral("svg"), QStringLiteral("--log-x")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(QDir(out).entryList(QDir::Files), QStringList{QStringLiteral("fashion-mnist-demo-pareto.svg")});
        QVERIFY(head(QDir(out).filePath(QStringLiteral("fashion-mnist-demo-pareto.svg")), 100000).contains("MACs"));
    }

    // A third and fourth metric as colour (the SVG carries the colour bar's label) and point size.
    void colourAndPointSize()
    {
        const QString out = m_dir.filePath(QStringLiteral("encoded"));
        Result r = runPlot({m_study, QStringLiteral("--out"), out, QStringLiteral("--formats"), QStringLiteral("svg"),
                            QStringLiteral("--y"), QStringLiteral("accuracy"), QStringLiteral("--colour"),
                            QStringLiteral("macs"), QStringLiteral("--point-size"), QStringLiteral("accuracy")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QByteArray svg = head(QDir(out).filePath(QStringLiteral("fashion-mnist-demo-pareto.svg")), 1000000);
        QVERIFY(svg.contains("MACs (millions)"));             // the colour bar's label
        QVERIFY(svg.contains("Validation accuracy 60.00 %")); // the smallest of the three sizes in the legend
        r = runPlot({m_study, QStringLiteral("--out"), out, QStringLiteral("--colour"), QStringLiteral("macz")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--colour: unknown metric \"macz\"")), qPrintable(r.err));
    }

    void badInput()
    {
        const QString out = m_dir.filePath(QStringLiteral("bad"));
        Result r = runPlot({m_study, QStringLiteral("--out"), out, QStringLiteral("--x"), QStringLiteral("bogus")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("bogus")) && r.err.contains(QStringLiteral("weight_bytes")),
                 qPrintable(r.err));
        QVERIFY(!QDir(out).exists() || QDir(out).isEmpty());

        r = runPlot({m_dir.filePath(QStringLiteral("missing.psc")), QStringLiteral("--out"), out});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("missing.psc")), qPrintable(r.err));

        r = runPlot({m_study, QStringLiteral("--out"), out, QStringLiteral("--formats"), QStringLiteral("gif")});
        QCOMPARE(r.exitCode, 2);
        r = runPlot({m_study});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains(QStringLiteral("--out")));
    }
};

QTEST_GUILESS_MAIN(TestPlotCommand)
#include "tst_plotcommand.moc"
