/* Embeds the default configuration, the Haishu service catalogue, the notification templates and the dashboard page in the
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
    .global hub_default_templates_zh
hub_default_templates_zh:
    .incbin "deploy/templates/zh.txt"
    .byte 0
    .global hub_default_templates_en
hub_default_templates_en:
    .incbin "deploy/templates/en.txt"
    .byte 0
    .global hub_dashboard_html
hub_dashboard_html:
    .incbin "deploy/dashboard/index.html"
    .byte 0
    .section .note.GNU-stack,"",@progbits
