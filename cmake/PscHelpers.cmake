# SPDX-License-Identifier: GPL-3.0-or-later
# Helper functions shared by every target of the project.

# Warnings for our own targets only (third-party headers are included as SYSTEM).
function(psc_set_warnings target)
    # -Wrestrict: GCC 12 false positives inside std::string (GCC bug 105329), not in our code.
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wold-style-cast -Wno-restrict)
endfunction()

# psc_add_test(NAME name SOURCES ... LIBS ... LABELS ... [TIMEOUT s])
# One Qt Test executable per class; widget tests run with the offscreen platform.
function(psc_add_test)
    cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
    add_executable(${T_NAME} ${T_SOURCES})
    target_link_libraries(${T_NAME} PRIVATE Qt6::Test ${T_LIBS})
    target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
    target_compile_definitions(${T_NAME} PRIVATE
        PSC_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
        PSC_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
        PSC_BINARY_DIR="${PROJECT_BINARY_DIR}")
    psc_set_warnings(${T_NAME})
    add_test(NAME ${T_NAME} COMMAND ${T_NAME})
    if(NOT T_TIMEOUT)
        set(T_TIMEOUT 300)
    endif()
    set_tests_properties(${T_NAME} PROPERTIES
        LABELS "${T_LABELS}"
        TIMEOUT ${T_TIMEOUT}
        ENVIRONMENT "QT_QPA_PLATFORM=offscreen;PSC_FASHION_MNIST_DIR=${PSC_FASHION_MNIST_DIR}")
endfunction()

# psc_add_plugin(NAME name CLASS class MODEL_SOURCES ... SOURCES ...) builds a static Qt plugin against the plugin API
# only. MODEL_SOURCES (the pure cost model, no Qt plugin machinery) become a static library <name>_model that tests
# link to reach the model's classes; the plugin links it privately. Neither exposes the plugin's sources to the
# application: it goes through the plugin API (psc/plugin/*.h) only.
function(psc_add_plugin)
    cmake_parse_arguments(P "" "NAME;CLASS" "SOURCES;MODEL_SOURCES" ${ARGN})
    qt_add_plugin(${P_NAME} STATIC CLASS_NAME ${P_CLASS})
    target_sources(${P_NAME} PRIVATE ${P_SOURCES})
    target_link_libraries(${P_NAME} PUBLIC Psc::PluginApi Qt6::Core)
    target_include_directories(${P_NAME} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_definitions(${P_NAME} PRIVATE QT_NO_KEYWORDS QT_STATICPLUGIN)
    psc_set_warnings(${P_NAME})
    if(P_MODEL_SOURCES)
        add_library(${P_NAME}_model STATIC ${P_MODEL_SOURCES})
        # Public for the tests that link the model library explicitly.
        target_include_directories(${P_NAME}_model PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
        target_link_libraries(${P_NAME}_model PUBLIC Psc::PluginApi Qt6::Core)
        target_compile_definitions(${P_NAME}_model PRIVATE QT_NO_KEYWORDS)
        psc_set_warnings(${P_NAME}_model)
        target_link_libraries(${P_NAME} PRIVATE ${P_NAME}_model)
    endif()
endfunction()
