# Prints the bare-metal footprint figures of bench/README.md ("Footprint"):
#   cmake --build build/cortex-m3 --target footprint
# Flash and RAM of examples/firmware (from the ELF's sections and the heap
# high-water mark it prints when it ends), and the RAM per pending task
# (task_ram). Run by that target and by the "footprint" CTest.
# Arguments: -DSIZE=arm-none-eabi-size -DEMULATOR=qemu-run
#            -DFIRMWARE=<elf> -DTASK_RAM=<elf>
foreach(arg SIZE EMULATOR FIRMWARE TASK_RAM)
  if(NOT ${arg})
    message(FATAL_ERROR "footprint.cmake needs -D${arg}=...")
  endif()
endforeach()

# Sections: flash holds everything allocated below RAM (0x20000000) and the
# initial image of .data; RAM holds .data, .bss and the TLS block.
execute_process(COMMAND ${SIZE} -A -d ${FIRMWARE} OUTPUT_VARIABLE sections RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${SIZE} failed on ${FIRMWARE}")
endif()
set(flash 0)
set(ram 0)
string(REPLACE "\n" ";" lines "${sections}")
foreach(line IN LISTS lines)
  if(line MATCHES "^(\\.[A-Za-z_.]+) +([0-9]+) +([0-9]+)$")
    set(name ${CMAKE_MATCH_1})
    set(size ${CMAKE_MATCH_2})
    set(addr ${CMAKE_MATCH_3})
    if(name MATCHES "^\\.(comment|ARM\\.attributes|debug)" OR name STREQUAL ".tbss")
      continue()
    endif()
    if(addr LESS 536870912)  # 0x20000000
      math(EXPR flash "${flash} + ${size}")
    else()
      math(EXPR ram "${ram} + ${size}")
      if(name STREQUAL ".data")
        math(EXPR flash "${flash} + ${size}")
      endif()
    endif()
  endif()
endforeach()

execute_process(COMMAND ${EMULATOR} ${FIRMWARE} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "heap high-water mark: ([0-9]+) bytes")
  message(FATAL_ERROR "examples/firmware did not report its heap (exit ${rc}):\n${out}")
endif()
set(heap ${CMAKE_MATCH_1})
math(EXPR ram_total "${ram} + ${heap}")

execute_process(COMMAND ${EMULATOR} ${TASK_RAM} OUTPUT_VARIABLE tasks RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT tasks MATCHES "heap per task suspended on sleep: ([0-9]+) bytes cold, ([0-9]+) bytes warm")
  message(FATAL_ERROR "task_ram failed (exit ${rc}):\n${tasks}")
endif()
set(task_cold ${CMAKE_MATCH_1})
set(task_warm ${CMAKE_MATCH_2})
string(REGEX MATCH "allocations of one sleeping task:[^\n]*" allocations "${tasks}")

math(EXPR flash_kib "(${flash} + 512) / 1024")
math(EXPR ram_kib "(${ram_total} + 512) / 1024")
message("examples/firmware, -Os, gc-sections:")
message("  flash (.text, tables, .data image): ${flash} bytes (${flash_kib} KiB); target 65536")
message("  RAM (.data, .bss, TLS ${ram} + heap high-water ${heap}): ${ram_total} bytes (${ram_kib} KiB)")
message("pending task suspended on sleep (task_ram):")
message("  ${task_warm} bytes of heap with its frame (${task_cold} while the timer heap grows); target 128")
message("  ${allocations}")
