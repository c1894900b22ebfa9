// SPDX-License-Identifier: GPL-3.0-or-later
// The New Study form: a valid spec from its defaults, a space edited in place written inline, and every mistake
// said under its own section by the engine's own checks, with Create off until the spec is valid.
#include "views/newstudydialog.h"

#include "psc/plugins/pluginregistry.h"
#include "psc/study/studyspec.h"
#include "psc/targets/targetlibrary.h"
#include "psc/targets/targetmetrics.h"

#include <QComboBox>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>

#include <memory>

using namespace psc;

class TestNewStudyDialog : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<PluginRegistry> m_registry;
    std::unique_ptr<TargetLibrary> m_library;

    NewStudyChoices choices() const
    {
        NewStudyChoices c;
        for (const std::string &d : knownDatasets())
            c.datasets << QString::fromStdString(d);
        const QDir spaces(QStringLiteral(PSC_SOURCE_DIR "/resources/spaces"));
        for (const QFileInfo &f : spaces.entryInfoList({QStringLiteral("*.json")}, QDir::Files))
            c.spaces.insert(f.completeBaseName(), f.absoluteFilePath());
        for (const std::string &id : m_registry->strategyIds())
            c.strategies << QString::fromStdString(id);
        for (const MetricInfo &m : modelMetrics())
            c.modelMetrics.push_back(MetricRef{std::string(m.name), {}});
        for (const TargetDefinition *d : m_library->definitions()) {
            QStringList names;
            for (const std::string &n : targetMetricNames(*m_library->target(d->id)))
                names << QString::fromStdString(n);
            c.targetMetrics.insert(QString::fromStdString(d->id), names);
        }
        const PluginRegistry *registry = m_registry.get();
        const TargetLibrary *library = m_library.get();
        c.check = [registry, library](const QString &json) {
            StudySpecNames names{library, registry->strategyIds(), {}};
            names.strategyOptionsProblem = [registry](const std::string &id, const std::string &options) {
                return registry->strategyOptionsProblem(id, options);
            };
            try {
                StudySpec::fromJson(json.toStdString(), "<new study>", {}, names);
            } catch (const std::exception &e) {
                return QString::fromUtf8(e.what());
            }
            return QString();
        };
        return c;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_registry = std::make_unique<PluginRegistry>();
        m_registry->load();
        m_library = std::make_unique<TargetLibrary>(*m_registry);
        m_library->loadDirectory(TargetLibrary::defaultDirectory());
    }

    void defaultsMakeAValidSpec()
    {
        NewStudyDialog dialog(choices());
        QCOMPARE(dialog.problem(), QString());
        QVERIFY(dialog.createButton()->isEnabled());
        QCOMPARE(dialog.spaceMenu()->currentText(), QStringLiteral("fashion-mnist-demo"));
        const QJsonObject spec = QJsonDocument::fromJson(dialog.preview()->toPlainText().toUtf8()).object();
        QCOMPARE(spec.value(QStringLiteral("name")).toString(), QStringLiteral("my-study"));
        QVERIFY(
            spec.value(QStringLiteral("search_space")).toString().endsWith(QStringLiteral("fashion-mnist-demo.json")));
        QCOMPARE(spec.value(QStringLiteral("objectives")).toArray().size(), 2);
        QCOMPARE(spec.value(QStringLiteral("strategy")).toObject().value(QStringLiteral("id")).toString(),
                 QStringLiteral("mobo"));
        // The engine reads it as the form says.
        const StudySpec parsed = StudySpec::fromJson(dialog.specJson().toStdString());
        QCOMPARE(parsed.objectives.size(), std::size_t(2));
        QCOMPARE(parsed.objectives[0].metric.name, std::string("deployed_accuracy"));
        QVERIFY(parsed.objectives[0].direction == Direction::Maximize);
        QCOMPARE(parsed.budget.trials, std::optional<int>(24));
        QCOMPARE(parsed.training.epochs, 3);
        // The form's fields show the space's choices.
        QCOMPARE(dialog.spaceField(QStringLiteral("weight_bits"))->text(), QStringLiteral("8, 4, 2"));
        QCOMPARE(dialog.spaceField(QStringLiteral("blocks.type"))->text(), QStringLiteral("separable, conv"));
    }

    void editedSpaceIsWrittenInline()
    {
        NewStudyDialog dialog(choices());
        dialog.spaceField(QStringLiteral("weight_bits"))->setText(QStringLiteral("8, 4"));
        dialog.spaceField(QStringLiteral("blocks.type"))->setText(QStringLiteral("conv"));
        QCOMPARE(dialog.problem(), QString());
        const QJsonObject space = QJsonDocument::fromJson(dialog.specJson().toUtf8())
                                      .object()
                                      .value(QStringLiteral("search_space"))
                                      .toObject();
        QCOMPARE(space.value(QStringLiteral("weight_bits")).toArray(), (QJsonArray{8, 4}));
        QCOMPARE(space.value(QStringLiteral("blocks")).toObject().value(QStringLiteral("type")).toArray(),
                 (QJsonArray{QStringLiteral("conv")}));
        QCOMPARE(StudySpec::fromJson(dialog.specJson().toStdString()).searchSpace.name,
                 std::string("fashion-mnist-demo"));
        // Not a number: said under the space, Create off.
        dialog.spaceField(QStringLiteral("weight_bits"))->setText(QStringLiteral("8, four"));
        QVERIFY(!dialog.createButton()->isEnabled());
        QVERIFY(!dialog.errorLabel(QStringLiteral("space"))->isHidden());
        QVERIFY2(dialog.problem().contains(QStringLiteral("\"four\" is not a number")), qPrintable(dialog.problem()));
        // A value the space rejects (bits it cannot deploy) comes from the engine, under the space too.
        dialog.spaceField(QStringLiteral("weight_bits"))->setText(QStringLiteral("8, 3"));
        QVERIFY(!dialog.createButton()->isEnabled());
        QVERIFY2(dialog.problem().contains(QStringLiteral("/search_space")), qPrintable(dialog.problem()));
        QVERIFY(!dialog.errorLabel(QStringLiteral("space"))->isHidden());
        dialog.spaceField(QStringLiteral("weight_bits"))->setText(QStringLiteral("8, 4, 2"));
        QCOMPARE(dialog.problem(), QString());
    }

    void mistakesAreSaidWhereTheyAre()
    {
        NewStudyDialog dialog(choices());
        // A misspelt target metric: under the objectives, with the engine's did-you-mean, its row marked.
        const int row = dialog.addObjective(QStringLiteral("latncy_s@stm32f746zg"), QStringLiteral("min"));
        QVERIFY(!dialog.createButton()->isEnabled());
        QVERIFY(!dialog.errorLabel(QStringLiteral("objectives"))->isHidden());
        QVERIFY2(dialog.problem().contains(QStringLiteral("/objectives/2")) &&
                     dialog.problem().contains(QStringLiteral("did you mean \"latency_s\"")),
                 qPrintable(dialog.problem()));
        QVERIFY(dialog.objectives()->cellWidget(row, 0)->styleSheet().contains(QStringLiteral("border")));
        dialog.objectives()->setCurrentCell(row, 0);
        static_cast<QComboBox *>(dialog.objectives()->cellWidget(row, 0))
            ->setCurrentText(QStringLiteral("latency_s@stm32f746zg"));
        QCOMPARE(dialog.problem(), QString());
        QVERIFY(dialog.errorLabel(QStringLiteral("objectives"))->isHidden());
        // A bound in the wrong unit: under the constraints.
        dialog.addConstraint(QStringLiteral("weight_bytes"), QStringLiteral("<="), QStringLiteral("16 ms"));
        QVERIFY(!dialog.errorLabel(QStringLiteral("constraints"))->isHidden());
        QVERIFY2(dialog.problem().contains(QStringLiteral("/constraints/0")), qPrintable(dialog.problem()));
        static_cast<QLineEdit *>(dialog.constraints()->cellWidget(0, 2))->setText(QStringLiteral("16KiB"));
        QCOMPARE(dialog.problem(), QString());
        QVERIFY(dialog.specJson().contains(QStringLiteral("\"weight_bytes <= 16KiB\"")));
        // Strategy options that are not JSON, then options the strategy refuses.
        dialog.strategyOptions()->setText(QStringLiteral("{initial"));
        QVERIFY(!dialog.errorLabel(QStringLiteral("strategy"))->isHidden());
        QVERIFY(!dialog.createButton()->isEnabled());
        dialog.strategyOptions()->setText(QStringLiteral("{\"initial_trials\": -3}"));
        QVERIFY2(!dialog.errorLabel(QStringLiteral("strategy"))->isHidden(), qPrintable(dialog.problem()));
        dialog.strategyOptions()->setText(QStringLiteral("{\"initial_trials\": 4}"));
        QCOMPARE(dialog.problem(), QString());
        // No objective at all.
        while (dialog.objectives()->rowCount() > 0)
            dialog.objectives()->removeRow(0);
        dialog.trialBudget()->setValue(10); // any change checks again
        QVERIFY(!dialog.createButton()->isEnabled());
        QVERIFY(dialog.problem().contains(QStringLiteral("at least one objective")));
    }
};

QTEST_MAIN(TestNewStudyDialog)
#include "tst_newstudydialog.moc"
