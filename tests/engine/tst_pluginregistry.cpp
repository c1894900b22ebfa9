// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/plugins/pluginregistry.h"

#include <QJsonObject>
#include <QTest>

using namespace psc;

class TestPluginRegistry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void builtinStrategyIsLoaded()
    {
        PluginRegistry registry;
        registry.load();
        QVERIFY(registry.strategy("random") != nullptr);
        QVERIFY(registry.strategy("no-such") == nullptr);
        bool listed = false;
        for (const PluginInfo &info : registry.plugins())
            if (info.id == QLatin1String("random")) {
                listed = true;
                QCOMPARE(info.kind, QStringLiteral("strategy"));
                QCOMPARE(info.source, QStringLiteral("built-in"));
                QVERIFY2(info.rejection.isEmpty(), qPrintable(info.rejection));
            }
        QVERIFY(listed);
    }

    void metadataIsCheckedBeforeLoading_data()
    {
        QTest::addColumn<QString>("iid");
        QTest::addColumn<QJsonObject>("meta");
        QTest::addColumn<QString>("expected"); // empty: accepted
        const QString strategyIid = QStringLiteral(PSC_STRATEGY_FACTORY_IID);
        const QString targetIid = QStringLiteral(PSC_TARGET_FACTORY_IID);
        const QJsonObject ok{{"id", "x"}, {"kind", "strategy"}, {"apiVersion", plugin::kApiMajorVersion}};
        QTest::newRow("valid strategy") << strategyIid << ok << QString();
        QTest::newRow("valid target") << targetIid
                                      << QJsonObject{{"id", "mcu"},
                                                     {"kind", "target"},
                                                     {"apiVersion", plugin::kApiMajorVersion}}
                                      << QString();
        QJsonObject v2 = ok;
        v2["apiVersion"] = 5;
        QTest::newRow("newer api") << strategyIid << v2 << QStringLiteral("apiVersion 5 is not supported");
        QJsonObject v0 = ok;
        v0["apiVersion"] = 3;
        QTest::newRow("older api") << strategyIid << v0 << QStringLiteral("apiVersion 3 is not supported");
        QJsonObject noVersion = ok;
        noVersion.remove("apiVersion");
        QTest::newRow("no api version") << strategyIid << noVersion << QStringLiteral("is not supported");
        QJsonObject noId = ok;
        noId.remove("id");
        QTest::newRow("no id") << strategyIid << noId << QStringLiteral("no \"id\"");
        QJsonObject badKind = ok;
        badKind["kind"] = "exporter";
        QTest::newRow("unknown kind") << strategyIid << badKind << QStringLiteral("unknown kind \"exporter\"");
        QTest::newRow("wrong interface") << targetIid << ok << QStringLiteral("does not match");
        QTest::newRow("old interface version")
            << QStringLiteral("org.paretoscope.SearchStrategy/0.9") << ok << QStringLiteral("does not match");
    }
    void metadataIsCheckedBeforeLoading()
    {
        QFETCH(QString, iid);
        QFETCH(QJsonObject, meta);
        QFETCH(QString, expected);
        const QString rejection = PluginRegistry::validateMetadata(iid, meta);
        if (expected.isEmpty())
            QVERIFY2(rejection.isEmpty(), qPrintable(rejection));
        else
            QVERIFY2(rejection.contains(expected), qPrintable(rejection));
    }
};

QTEST_GUILESS_MAIN(TestPluginRegistry)
#include "tst_pluginregistry.moc"
