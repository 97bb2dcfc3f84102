/* Embeds the default configuration and the Haishu service catalogue in the
 * binaries, NUL-terminated, so `make run` works without any file. */
    .section .rodata
    .global hub_default_config
hub_default_config:
    .incbin "deploy/hub.ini"
    .byte 0
    .global hub_default_catalogue
hub_default_catalogue:
    .incbin "deploy/catalogue/haishu.json"
    .byte 0
    .section .note.GNU-stack,"",@progbits
