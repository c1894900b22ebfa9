// SPDX-License-Identifier: GPL-3.0-or-later
#include "analogcimmodel.h"
#include "analogcimplugin.h"
#include "cimtesthelpers.h"

#include <QJsonArray>
#include <QTest>

using psc::plugin::ParameterError;
using psc::plugin::Parameters;
using psc::plugin::ParameterValue;

namespace {

ParameterValue number(double v)
{
    ParameterValue p;
    p.number = v;
    return p;
}

ParameterValue text(const std::string &t)
{
    ParameterValue p;
    p.text = t;
    return p;
}

Parameters aonCim()
{
    return cimtest::flatten(cimtest::readJson(cimtest::targetsDir() + "/aon-cim.json"));
}

} // namespace

/** The target files of the analog-cim model, the factory, and parameter errors. */
class TestAnalogCimTargets : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void everyTargetFileIsCitedAndCreates();
    void factoryMetadata();
    void parseErrors_data();
    void parseErrors();
    void reprogramNeedsProgrammingCosts();
    void optionalParameters();
};

void TestAnalogCimTargets::everyTargetFileIsCitedAndCreates()
{
    const QStringList files = cimtest::analogCimTargetFiles();
    QVERIFY(files.size() >= 3);
    QVERIFY(files.contains(cimtest::targetsDir() + "/aon-cim.json"));
    const AnalogCimTargetPlugin factory;
    const psc::plugin::NetworkInfo ds = cimtest::networkInfo("ds-cnn.json");
    for (const QString &path : files) {
        const QJsonObject target = cimtest::readJson(path);
        const QString id = target.value("id").toString();
        QVERIFY2(!id.isEmpty(), qPrintable(path));
        QVERIFY2(path.endsWith("/" + id + ".json"), qPrintable(path));
        QVERIFY2(!target.value("name").toString().isEmpty(), qPrintable(path));
        QVERIFY2(!target.value("description").toString().isEmpty(), qPrintable(path));
        const QJsonObject parameters = target.value("parameters").toObject();
        QVERIFY2(!parameters.isEmpty(), qPrintable(path));
        for (auto it = parameters.begin(); it != parameters.end(); ++it) {
            const QJsonObject p = it.value().toObject();
            const QString where = path + ": " + it.key();
            QVERIFY2(p.contains("value"), qPrintable(where));
            QVERIFY2(p.value("value").isDouble() || p.value("value").isString(), qPrintable(where));
            QVERIFY2(!p.value("source").toString().trimmed().isEmpty(), qPrintable(where + " has no source"));
            if (p.value("value").isDouble())
                QVERIFY2(!p.value("unit").toString().isEmpty(), qPrintable(where + " has no unit"));
        }
        ParameterError error;
        const auto created = factory.create(id.toStdString(), cimtest::flatten(target), error);
        QVERIFY2(created, qPrintable(path + ": " + QString::fromStdString(error.parameter + ": " + error.message)));
        const psc::plugin::CostEstimate e = created->estimate(ds, cimtest::uniform(ds, 8));
        QCOMPARE(e.targetId, id.toStdString());
        QVERIFY2(e.feasible(), qPrintable(path));
        QVERIFY(e.energyJ > 0 && e.latencyS > 0);
        QVERIFY(e.extra.count("tops_per_w") && e.extra.count("crossbar_cells_used") && e.extra.count("tiles"));
        qInfo("%s DS-CNN 8-bit: %.2f TOPS/W, %.1f nJ, %.1f us, utilisation %.3f", qPrintable(id),
              e.extra.at("tops_per_w"), e.energyJ * 1e9, e.latencyS * 1e6, e.utilization);
    }
}

void TestAnalogCimTargets::factoryMetadata()
{
    const AnalogCimTargetPlugin factory;
    QCOMPARE(factory.modelId(), std::string("analog-cim"));
    QCOMPARE(factory.modelVersion(), std::string(psc::targets::analogcim::kAnalogCimModelVersion));
    QVERIFY(!factory.description().empty());
}

void TestAnalogCimTargets::parseErrors_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("remove");
    QTest::addColumn<bool>("isNumber");
    QTest::addColumn<double>("value");
    QTest::addColumn<QString>("textValue");
    QTest::addColumn<QString>("expected");

    QTest::newRow("missing rows")
        << "crossbar_rows" << true << false << 0.0 << ""
        << "missing parameter of the analog-cim model: expected a whole number of rows in [1, 1048576]";
    QTest::newRow("rows as text") << "crossbar_rows" << false << false << 0.0 << "big"
                                  << "expected a whole number of rows in [1, 1048576], got the text \"big\"";
    QTest::newRow("zero rows") << "crossbar_rows" << false << true << 0.0 << ""
                               << "expected a whole number of rows in [1, 1048576], got 0";
    QTest::newRow("fractional cols") << "crossbar_cols" << false << true << 12.5 << ""
                                     << "expected a whole number of columns in [1, 1048576], got 12.5";
    QTest::newRow("negative adc energy") << "adc_energy_per_conversion_j" << false << true << -1e-12 << ""
                                         << "expected a number of J in [1e-18, 1e-06], got -1e-12";
    QTest::newRow("missing read time")
        << "crossbar_read_time_s" << true << false << 0.0 << ""
        << "missing parameter of the analog-cim model: expected a number of s in [1e-15, 1]";
    QTest::newRow("bad packing") << "packing" << false << false << 0.0 << "diagonal"
                                 << "expected one of \"shared\", \"tiles\", got \"diagonal\"";
    QTest::newRow("packing as number") << "packing" << false << true << 1.0 << ""
                                       << "expected one of \"shared\", \"tiles\", got the number 1";
    QTest::newRow("bad residency") << "residency" << false << false << 0.0 << "sometimes"
                                   << "expected one of \"resident\", \"reprogram\", got \"sometimes\"";
    QTest::newRow("adc bits zero") << "adc_bits" << false << true << 0.0 << ""
                                   << "expected a whole number of bits in [1, 16], got 0";
    QTest::newRow("dac bits text") << "dac_bits" << false << false << 0.0 << "input"
                                   << "expected a whole number of bits in [1, 16] or \"activation\", got \"input\"";
    QTest::newRow("huge adc energy") << "adc_energy_per_conversion_j" << false << true << 1e308 << ""
                                     << "expected a number of J in [1e-18, 1e-06], got 1e+308";
    // The device and converter non-idealities (docs/analog.md) are checked with the file too.
    QTest::newRow("negative output noise") << "adc_output_noise" << false << true << -0.1 << ""
                                           << "expected a number in [0, 100], got -0.1";
    QTest::newRow("zero g_max") << "g_max_us" << false << true << 0.0 << ""
                                << "expected a number of uS in [0.1, 1000], got 0";
    QTest::newRow("negative drift scale") << "drift_scale" << false << true << -1.0 << ""
                                          << "expected a number in [0, 100], got -1";
    QTest::newRow("zero t0") << "drift_t0_s" << false << true << 0.0 << ""
                             << "expected a number of s in [1e-06, 1e+06], got 0";
    QTest::newRow("bad compensation") << "drift_compensation" << false << false << 0.0 << "perfect"
                                      << "expected one of \"global\", \"per_column\", \"none\", got \"perfect\"";
    QTest::newRow("bad mapping") << "weight_mapping" << false << false << 0.0 << "per_row"
                                 << "expected one of \"per_column\", \"per_layer\", got \"per_row\"";
    QTest::newRow("too many adcs") << "adcs_per_tile" << false << true << 1000.0 << ""
                                   << "expected at most crossbar_cols (512) ADCs per tile";
}

void TestAnalogCimTargets::parseErrors()
{
    QFETCH(QString, name);
    QFETCH(bool, remove);
    QFETCH(bool, isNumber);
    QFETCH(double, value);
    QFETCH(QString, textValue);
    QFETCH(QString, expected);

    Parameters parameters = aonCim();
    QVERIFY(parameters.count(name.toStdString()));
    if (remove)
        parameters.erase(name.toStdString());
    else
        parameters[name.toStdString()] = isNumber ? number(value) : text(textValue.toStdString());
    ParameterError error;
    const AnalogCimTargetPlugin factory;
    QVERIFY(!factory.create("aon-cim", parameters, error));
    QCOMPARE(QString::fromStdString(error.parameter), name);
    QCOMPARE(QString::fromStdString(error.message), expected);
}

void TestAnalogCimTargets::reprogramNeedsProgrammingCosts()
{
    Parameters parameters = aonCim();
    parameters["residency"] = text("reprogram");
    ParameterError error;
    QVERIFY(!psc::targets::analogcim::parseAnalogCimParameters(parameters, error));
    QCOMPARE(error.parameter, std::string("program_energy_per_cell_j"));
    QCOMPARE(error.message,
             std::string("missing parameter of the analog-cim model: expected a number of J in [1e-18, 1e-06]"));
    parameters["program_energy_per_cell_j"] = number(1e-10);
    QVERIFY(!psc::targets::analogcim::parseAnalogCimParameters(parameters, error));
    QCOMPARE(error.parameter, std::string("program_time_per_row_s"));
    parameters["program_time_per_row_s"] = number(1e-5);
    const auto p = psc::targets::analogcim::parseAnalogCimParameters(parameters, error);
    QVERIFY(p);
    QVERIFY(p->residency == psc::targets::analogcim::CimResidency::Reprogram);
}

void TestAnalogCimTargets::optionalParameters()
{
    Parameters parameters = aonCim();
    ParameterError error;
    auto p = psc::targets::analogcim::parseAnalogCimParameters(parameters, error);
    QVERIFY(p);
    QVERIFY(!p->dacBits && !p->adcBits); // "activation"
    QCOMPARE(p->clockHz, 0.0);
    QVERIFY(p->packing == psc::targets::analogcim::CimPacking::Shared);
    parameters["clock_hz"] = number(0.0);
    QVERIFY(!psc::targets::analogcim::parseAnalogCimParameters(parameters, error));
    QCOMPARE(error.parameter, std::string("clock_hz"));
    parameters["clock_hz"] = number(5e8);
    parameters["adc_bits"] = number(6);
    p = psc::targets::analogcim::parseAnalogCimParameters(parameters, error);
    QVERIFY(p);
    QCOMPARE(p->clockHz, 5e8);
    QCOMPARE(*p->adcBits, 6);
}

QTEST_APPLESS_MAIN(TestAnalogCimTargets)
#include "tst_analogcimtargets.moc"
