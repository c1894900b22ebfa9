// SPDX-License-Identifier: GPL-3.0-or-later
// The drift-time control's arithmetic: a trial's analog accuracy at any time from its records at other times,
// interpolated in log time, with hand-computed cases.
#include "psc/study/analogdrift.h"

#include <QTest>

#include <cmath>

using namespace psc;

namespace {

AnalogRecord record(std::int64_t trial, double seconds, double mean, double std, const char *target = "aon-cim",
                    const char *compensation = "global")
{
    AnalogRecord r;
    r.trialId = trial;
    r.target = target;
    r.compensation = compensation;
    r.seconds = seconds;
    r.mean = mean;
    r.std = std;
    return r;
}

} // namespace

class TestAnalogDrift : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void gridSpansOneSecondToTenYears()
    {
        const std::vector<double> &g = driftTimeGrid();
        QCOMPARE(g.front(), 1.0);
        QCOMPARE(g.back(), 10.0 * 365.0 * 86400.0);
        QVERIFY(std::is_sorted(g.begin(), g.end()));
    }

    void interpolatesInLogTime()
    {
        // 1 h: 80 % +- 2, 1 day: 70 % +- 4. Halfway in log time, sqrt(3600 * 86400) = 17,636.3 s: 75 % +- 3.
        // A quarter of the way, 3600 * 24^0.25 = 7,951.6 s: 77.5 % +- 2.5. Other trials, targets and compensations
        // are ignored, whatever their times.
        const std::vector<AnalogRecord> records{
            record(7, 86400.0, 0.70, 0.04), record(7, 3600.0, 0.80, 0.02), record(8, 7000.0, 0.10, 0.0),
            record(7, 7000.0, 0.10, 0.0, "pcm-cim-64x256"), record(7, 7000.0, 0.10, 0.0, "aon-cim", "none")};
        const auto mid = interpolateAnalog(records, 7, "aon-cim", "global", std::sqrt(3600.0 * 86400.0));
        QVERIFY(mid && !mid->measured);
        QVERIFY(std::abs(mid->mean - 0.75) < 1e-12);
        QVERIFY(std::abs(mid->std - 0.03) < 1e-12);
        const auto quarter = interpolateAnalog(records, 7, "aon-cim", "global", 3600.0 * std::pow(24.0, 0.25));
        QVERIFY(std::abs(quarter->mean - 0.775) < 1e-12);
        QVERIFY(std::abs(quarter->std - 0.025) < 1e-12);
        const auto exact = interpolateAnalog(records, 7, "aon-cim", "global", 3600.0);
        QVERIFY(exact && exact->measured);
        QCOMPARE(exact->mean, 0.80);
        QCOMPARE(exact->std, 0.02);
    }

    void outsideTheRecordsIsUnknown()
    {
        const std::vector<AnalogRecord> records{record(7, 3600.0, 0.8, 0.02), record(7, 86400.0, 0.7, 0.04)};
        QVERIFY(!interpolateAnalog(records, 7, "aon-cim", "global", 60.0));
        QVERIFY(!interpolateAnalog(records, 7, "aon-cim", "global", 2.0 * 86400.0));
        QVERIFY(!interpolateAnalog(records, 9, "aon-cim", "global", 7200.0));
        QVERIFY(!interpolateAnalog(records, 7, "aon-cim", "global", 0.0));
        QVERIFY(!interpolateAnalog({}, 7, "aon-cim", "global", 7200.0));
    }
};

QTEST_GUILESS_MAIN(TestAnalogDrift)
#include "tst_analogdrift.moc"
