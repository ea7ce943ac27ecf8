#pragma once
// Everything: #include <jitcu/jitcu.hpp>
#include <jitcu/argument_list.hpp>
#include <jitcu/arguments.hpp>
#include <jitcu/device.hpp>
#include <jitcu/engine.hpp>
#include <jitcu/error.hpp>
#include <jitcu/interop.hpp>
#include <jitcu/kernel.hpp>
#include <jitcu/launch.hpp>
#include <jitcu/memory.hpp>
#include <jitcu/module.hpp>
#include <jitcu/options.hpp>
#include <jitcu/source.hpp>
#include <jitcu/stream.hpp>
#include <jitcu/template_name.hpp>
#include <jitcu/texture.hpp>
#include <jitcu/version.hpp>
