// SPDX-License-Identifier: GPL-3.0-or-later
#include "space/candidatehash.h"

#include "psc/net/networkparser.h"

#include <QCryptographicHash>

#include <nlohmann/json.hpp>

namespace psc {

namespace {

std::string sha256Hex(const std::string &text)
{
    const QByteArray digest =
        QCryptographicHash::hash(QByteArrayView(text.data(), qsizetype(text.size())), QCryptographicHash::Sha256);
    return digest.toHex().toStdString();
}

} // namespace

std::string candidateHash(const NetworkDescription &network, const std::map<std::string, double> &weightSparsity)
{
    std::string hash = architectureHash(network);
    if (weightSparsity.empty())
        return hash;
    nlohmann::json sparsity = nlohmann::json::array();
    for (std::size_t i = 0; i < network.layers.size(); ++i) {
        const auto it = weightSparsity.find(network.layers[i].name);
        if (it != weightSparsity.end())
            sparsity.push_back({i, it->second});
    }
    // Versioned so that a later change of this text cannot collide with keys written by this one.
    return sha256Hex("psc-candidate-v1\n" + hash + "\n" + sparsity.dump());
}

std::string withTrainingChoices(const std::string &hash, const std::string &trainingJson)
{
    if (trainingJson.empty())
        return hash;
    return sha256Hex("psc-candidate-training-v1\n" + hash + "\n" + trainingJson);
}

} // namespace psc
