// SPDX-License-Identifier: GPL-3.0-or-later
// `paretoscope report`, driven through the real executable: a self-contained HTML whose images all load, a PDF whose
// first page (rendered by pdftoppm) is not blank, and bad output paths refused with exit 2 and nothing written.
#include "psc/study/lineage.h"
#include "psc/study/studyspec.h"
#include "psc/study/studystore.h"

#include "processresult.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace psc;
using psc::test::runApp;
using psc::test::runProcess;

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

/** The share of pixels that are not (nearly) white: lines, points, text, grid. */
double inkShare(const QImage &image)
{
    const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    qint64 ink = 0;
    for (int y = 0; y < rgb.height(); ++y)
        for (int x = 0; x < rgb.width(); ++x)
            ink += qGray(rgb.pixel(x, y)) < 240 ? 1 : 0;
    return double(ink) / double(rgb.width() * rgb.height());
}

} // namespace

class TestReportCommand : public QObject
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
        std::int64_t parent = 0;
        for (int i = 0; i < 6; ++i) {
            Trial t;
            store->insertTrial(t);
            parent = i == 2 ? t.id : parent;
            store->finishTrial(t.id, TrialState::Complete,
                               {{"", "deployed_accuracy", 0.6 + 0.05 * i},
                                {"", "weight_bytes", 4000.0 * (1 + (i * 5) % 7)},
                                {"", "macs", 2e5 * (1 + i)},
                                {"stm32f746zg", "latency_s", 0.002 * (1 + i)},
                                {"stm32f746zg", "feasible", i == 4 ? 0.0 : 1.0},
                                {"ethos-u55-128", "energy_j", 1e-6 * (1 + i % 3)},
                                {"stm32f446re", "peak_sram_bytes", 20000.0 + 3000.0 * i}},
                               "", 1.0);
        }
        // A compressed child of trial 2: the compression paths list it against its parent.
        Trial child;
        child.parentId = parent;
        child.parametersJson = encodeCompressionLineage(R"({"name": "int4", "weight_bits": 4})", 2);
        store->insertTrial(child);
        store->finishTrial(child.id, TrialState::Complete,
                           {{"", "deployed_accuracy", 0.69}, {"", "weight_bytes", 3000.0}}, "", 1.0);
        store->setMeta("gui_shortlist", R"({"starred": [4, 1], "notes": {"4": "the one for the M7 board"}})");
    }

    void selfContainedHtml()
    {
        const QString out = m_dir.filePath(QStringLiteral("report.html"));
        const auto r = runApp({QStringLiteral("report"), m_study, QStringLiteral("--out"), out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(r.out.trimmed(), QDir::toNativeSeparators(out));
        const QString html = QString::fromUtf8(readAll(out));
        for (const char *section :
             {"Study", "Pareto front", "All objectives at once", "Candidates", "Compression paths", "Provenance"})
            QVERIFY2(html.contains(QStringLiteral("<h2>%1</h2>").arg(QLatin1String(section))), section);
        // The shortlist in its order, with its note; the child against its parent; where target numbers come from.
        QVERIFY(html.indexOf(QStringLiteral("<b>Trial 4</b>")) < html.indexOf(QStringLiteral("<b>Trial 1</b>")));
        QVERIFY(html.contains(QStringLiteral("the one for the M7 board")));
        QVERIFY(html.contains(QStringLiteral("<b>From trial 2</b>")));
        QVERIFY(html.contains(QStringLiteral("✘ does not fit")));
        QVERIFY(html.contains(QStringLiteral("clock_hz")));
        QVERIFY(html.contains(QStringLiteral("mobo"))); // the strategy
        // Nothing is fetched: every image is embedded, decodes, and shows something.
        const QRegularExpression src(QStringLiteral("src=\"([^\"]*)\""));
        int images = 0;
        for (auto it = src.globalMatch(html); it.hasNext();) {
            const QString value = it.next().captured(1);
            QVERIFY2(value.startsWith(QStringLiteral("data:image/png;base64,")), qPrintable(value.left(80)));
            const QImage image = QImage::fromData(QByteArray::fromBase64(value.mid(22).toLatin1()), "PNG");
            QVERIFY(!image.isNull());
            QVERIFY(image.width() >= 800 && image.height() >= 300);
            QVERIFY2(inkShare(image) > 0.01, "an image is blank");
            ++images;
        }
        QCOMPARE(images, 2); // the front and the parallel coordinates
        QVERIFY(!html.contains(QStringLiteral("http://")) && !html.contains(QStringLiteral("https://")));
        // The same file again needs --force.
        const auto again = runApp({QStringLiteral("report"), m_study, QStringLiteral("--out"), out});
        QCOMPARE(again.exitCode, 2);
        QVERIFY2(again.err.contains(QStringLiteral("--force")), qPrintable(again.err));
    }

    void pdfFirstPageIsNotBlank()
    {
        const QString pdftoppm = QStandardPaths::findExecutable(QStringLiteral("pdftoppm"));
        QVERIFY2(!pdftoppm.isEmpty(), "pdftoppm (poppler-utils) is installed by packaging/install-deps.sh");
        const QString out = m_dir.filePath(QStringLiteral("report.pdf"));
        const auto r = runApp({QStringLiteral("report"), m_study, QStringLiteral("--out"), out, QStringLiteral("--x"),
                               QStringLiteral("macs")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(readAll(out).left(5), QByteArray("%PDF-"));
        const QString page = m_dir.filePath(QStringLiteral("page"));
        const auto render =
            runProcess(pdftoppm, {QStringLiteral("-f"), QStringLiteral("1"), QStringLiteral("-l"), QStringLiteral("2"),
                                  QStringLiteral("-r"), QStringLiteral("50"), QStringLiteral("-png"), out, page});
        QVERIFY2(render.exitCode == 0, qPrintable(render.err));
        const QStringList pages = QDir(m_dir.path()).entryList({QStringLiteral("page-*.png")}, QDir::Files, QDir::Name);
        QCOMPARE(pages.size(), 2);
        const QImage first(QDir(m_dir.path()).filePath(pages.front()));
        QVERIFY(!first.isNull());
        QVERIFY2(inkShare(first) > 0.005, "the first page is blank");
        QVERIFY(inkShare(QImage(QDir(m_dir.path()).filePath(pages.back()))) > 0.005);
    }

    void badOutputIsRefused()
    {
        // A folder that does not exist, a folder nobody may write (even root: /proc), another extension, a metric the
        // study does not have: exit 2, a message naming what is wrong, nothing written.
        const QString missing = m_dir.filePath(QStringLiteral("no-such-folder/report.html"));
        auto r = runApp({QStringLiteral("report"), m_study, QStringLiteral("--out"), missing});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("no-such-folder")), qPrintable(r.err));
        QVERIFY(!QFile::exists(missing));
        r = runApp({QStringLiteral("report"), m_study, QStringLiteral("--out"), QStringLiteral("/proc/report.html")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("/proc/report.html")) && r.err.contains(QStringLiteral("cannot write")),
                 qPrintable(r.err));
        r = runApp(
            {QStringLiteral("report"), m_study, QStringLiteral("--out"), m_dir.filePath(QStringLiteral("r.docx"))});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral(".html nor .pdf")), qPrintable(r.err));
        r = runApp({QStringLiteral("report"), m_study, QStringLiteral("--out"),
                    m_dir.filePath(QStringLiteral("x.html")), QStringLiteral("--y"), QStringLiteral("acuracy")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("unknown metric \"acuracy\"")), qPrintable(r.err));
        QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("x.html"))));
        const QStringList partial = QDir(m_dir.path()).entryList({QStringLiteral("*.partial*")}, QDir::Files);
        QVERIFY2(partial.isEmpty(), qPrintable(partial.join(QLatin1Char(' '))));
        // Not a study.
        r = runApp({QStringLiteral("report"), m_dir.filePath(QStringLiteral("report.html")), QStringLiteral("--out"),
                    m_dir.filePath(QStringLiteral("y.html"))});
        QCOMPARE(r.exitCode, 2);
    }
};

QTEST_MAIN(TestReportCommand)
#include "tst_reportcommand.moc"
