// Rewrites a loaded library's GOT slots for signal() and sigaction() (see signal_guard.hpp).
#include "signal_guard.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace jitcu::detail {
namespace {

bool is_termination(int signal_number) { return signal_number == SIGTERM || signal_number == SIGINT; }

// The library asked to handle SIGTERM or SIGINT: it is told the current handler, nothing changes.
sighandler_t guarded_signal(int signal_number, sighandler_t handler) {
  if (!is_termination(signal_number)) return ::signal(signal_number, handler);
  struct sigaction current {};
  if (::sigaction(signal_number, nullptr, &current) != 0) return SIG_ERR;
  return current.sa_handler;
}

int guarded_sigaction(int signal_number, const struct sigaction* action, struct sigaction* old) {
  if (!is_termination(signal_number) || action == nullptr) return ::sigaction(signal_number, action, old);
  return ::sigaction(signal_number, nullptr, old);
}

// Where the library's dynamic section says its symbols and relocations are.
struct DynamicTables {
  const ElfW(Sym)* symbols = nullptr;
  const char* strings = nullptr;
  const ElfW(Rela)* plt = nullptr;
  std::size_t plt_bytes = 0;
  const ElfW(Rela)* data = nullptr;
  std::size_t data_bytes = 0;
  bool plt_is_rela = true;  // DT_PLTREL; REL relocations do not occur on x86-64 or aarch64
};

DynamicTables read_dynamic(const link_map& map) {
  // glibc relocates these addresses in place on most targets; an unrelocated one is an offset.
  const auto address = [base = map.l_addr](ElfW(Addr) value) { return value < base ? value + base : value; };
  DynamicTables tables;
  for (const ElfW(Dyn)* entry = map.l_ld; entry->d_tag != DT_NULL; ++entry) {
    switch (entry->d_tag) {
      case DT_SYMTAB: tables.symbols = reinterpret_cast<const ElfW(Sym)*>(address(entry->d_un.d_ptr)); break;
      case DT_STRTAB: tables.strings = reinterpret_cast<const char*>(address(entry->d_un.d_ptr)); break;
      case DT_JMPREL: tables.plt = reinterpret_cast<const ElfW(Rela)*>(address(entry->d_un.d_ptr)); break;
      case DT_PLTRELSZ: tables.plt_bytes = entry->d_un.d_val; break;
      case DT_RELA: tables.data = reinterpret_cast<const ElfW(Rela)*>(address(entry->d_un.d_ptr)); break;
      case DT_RELASZ: tables.data_bytes = entry->d_un.d_val; break;
      case DT_PLTREL: tables.plt_is_rela = entry->d_un.d_val == DT_RELA; break;
      default: break;
    }
  }
  return tables;
}

struct RelroRange {
  std::uintptr_t begin = 0, end = 0;
};

RelroRange find_relro(ElfW(Addr) base) {
  RelroRange found;
  struct Search {
    ElfW(Addr) base;
    RelroRange* found;
  } search{base, &found};
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* wanted = static_cast<Search*>(data);
        if (info->dlpi_addr != wanted->base) return 0;
        for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
          if (info->dlpi_phdr[i].p_type != PT_GNU_RELRO) continue;
          wanted->found->begin = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
          wanted->found->end = wanted->found->begin + info->dlpi_phdr[i].p_memsz;
        }
        return 1;
      },
      &search);
  return found;
}

// Points one GOT slot at `replacement`; pages glibc made read-only after relocation (RELRO) are
// opened for the write and closed again.
std::string patch_slot(void** slot, void* replacement, const RelroRange& relro) {
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto slot_page = reinterpret_cast<std::uintptr_t>(slot) & ~(page - 1);
  void* start = reinterpret_cast<void*>(slot_page);
  if (mprotect(start, page, PROT_READ | PROT_WRITE) != 0) return fmt::format("mprotect failed: {}", std::strerror(errno));
  __atomic_store_n(slot, replacement, __ATOMIC_SEQ_CST);
  const bool read_only = slot_page >= (relro.begin & ~(page - 1)) && slot_page < (relro.end & ~(page - 1));
  if (read_only) mprotect(start, page, PROT_READ);
  return {};
}

void* replacement_for(std::string_view name) {
  if (name == "signal") return reinterpret_cast<void*>(&guarded_signal);
  if (name == "sigaction") return reinterpret_cast<void*>(&guarded_sigaction);
  return nullptr;
}

}  // namespace

std::string keep_termination_signals_from(void* handle) {
  link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr) return "dlinfo gave no link map";
  const DynamicTables tables = read_dynamic(*map);
  if (!tables.symbols || !tables.strings) return "the library has no dynamic symbol table";
  if (!tables.plt_is_rela) return "its PLT relocations are not RELA";
  const RelroRange relro = find_relro(map->l_addr);
  for (const auto& [relocations, bytes] : {std::pair{tables.plt, tables.plt_bytes}, std::pair{tables.data, tables.data_bytes}}) {
    for (std::size_t i = 0; relocations && i < bytes / sizeof(ElfW(Rela)); ++i) {
      const std::string_view name = tables.strings + tables.symbols[ELF64_R_SYM(relocations[i].r_info)].st_name;
      void* replacement = replacement_for(name);
      if (!replacement) continue;
      auto** slot = reinterpret_cast<void**>(map->l_addr + relocations[i].r_offset);
      if (auto error = patch_slot(slot, replacement, relro); !error.empty())
        return fmt::format("cannot rewrite its {} slot: {}", name, error);
    }
  }
  return {};
}

}  // namespace jitcu::detail
