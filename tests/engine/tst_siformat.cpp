// SPDX-License-Identifier: GPL-3.0-or-later
// The one SI formatter (docs/design.md, "Units and formatting"), hand-written expectations.
#include "psc/core/siformat.h"

#include <QTest>

#include <clocale>
#include <cmath>
#include <limits>

using namespace psc;

Q_DECLARE_METATYPE(std::string)

class TestSiFormat : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void quantities_data()
    {
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("unit");
        QTest::addColumn<QString>("expected");
        auto row = [](const char *name, double v, const char *unit, const char *text) {
            QTest::newRow(name) << v << QString::fromUtf8(unit) << QString::fromUtf8(text);
        };
        row("percent", 0.852, "%", "85.20 %");
        row("percent whole", 1.0, "%", "100.00 %");
        row("bytes", 512, "B", "512 B");
        row("bytes at 1 KiB", 1024, "B", "1.0 KiB");
        row("KiB", 21913.6, "B", "21.4 KiB");
        row("MiB", 1.5 * 1024 * 1024, "B", "1.50 MiB");
        row("seconds", 1.25, "s", "1.25 s");
        row("long", 3600, "s", "3600 s");
        row("ms", 0.0123, "s", "12.3 ms");
        row("ms 3 digits", 0.125, "s", "125 ms");
        row("us", 45e-6, "s", "45.0 µs");
        row("ns", 2.5e-9, "s", "2.50 ns");
        row("zero s", 0.0, "s", "0.00 s");
        row("mJ", 0.0042, "J", "4.20 mJ");
        row("uJ", 450e-6, "J", "450 µJ");
        row("nJ", 7.5e-9, "J", "7.50 nJ");
        row("W", 0.3, "W", "300 mW");
        row("count", 9999, "", "9999");
        row("count k", 12345, "", "12.3 k");
        row("count M", 1234567, "MAC", "1.23 M");
        row("fractional count", 0.125, "", "0.125");
        row("negative ms", -0.0123, "s", "-12.3 ms");
        row("nan", std::nan(""), "B", "–");
        row("inf", std::numeric_limits<double>::infinity(), "J", "–");
    }

    void quantities()
    {
        QFETCH(double, value);
        QFETCH(QString, unit);
        QFETCH(QString, expected);
        QCOMPARE(QString::fromStdString(formatQuantity(value, unit.toStdString())), expected);
    }

    void scalesForAxes()
    {
        QCOMPARE(displayScale("B", 3000).unit, std::string("KiB"));
        QCOMPARE(displayScale("B", 3000).factor, 1.0 / 1024.0);
        QCOMPARE(displayScale("s", 0.002).unit, std::string("ms"));
        QCOMPARE(displayScale("s", 0.002).factor, 1e3);
        QCOMPARE(displayScale("%", 0.5).factor, 100.0);
        QCOMPARE(displayScale("", 5e6).unit, std::string("M"));
        QCOMPARE(displayScale("", 50).unit, std::string());
    }

    void independentOfTheCLocale()
    {
        // QCoreApplication sets the locale from the environment; a decimal comma must not leak into numbers.
        const char *old = std::setlocale(LC_NUMERIC, nullptr);
        const std::string saved = old ? old : "C";
        if (!std::setlocale(LC_NUMERIC, "de_DE.UTF-8") && !std::setlocale(LC_NUMERIC, "fr_FR.UTF-8"))
            QSKIP("no locale with a decimal comma installed");
        QCOMPARE(formatQuantity(0.0123, "s"), std::string("12.3 ms"));
        std::setlocale(LC_NUMERIC, saved.c_str());
    }
};

QTEST_MAIN(TestSiFormat)
#include "tst_siformat.moc"
