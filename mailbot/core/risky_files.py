"""Files that must not travel on to the Board: programs, macro documents, disguises.

A unit's clerk may forward malware without knowing it, and the Board opens what the
district sends. Such files stay in the office's store (the office can look at them)
but the package names them as withheld instead of attaching them. The decision is
made from the name and the bytes, never from the sender's Content-Type.
"""

from __future__ import annotations

EXECUTABLE = frozenset({
    "exe", "com", "scr", "pif", "bat", "cmd", "msi", "msp", "cpl", "dll", "sys", "drv",
    "js", "jse", "vbs", "vbe", "vb", "wsf", "wsh", "wsc", "hta", "ps1", "psm1", "psd1",
    "lnk", "reg", "inf", "scf", "url", "jar", "apk", "app", "sh", "elf", "gadget",
    "msc", "appx", "msix", "application", "chm",
})
MACRO_DOCUMENT = frozenset({"docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppsm",
                            "ppam", "sldm"})
DISK_IMAGE = frozenset({"iso", "img", "vhd", "vhdx"})
# Formats that are zip files inside, so "PK" at the start is what they should hold.
_ZIP_BASED = frozenset({"zip", "docx", "xlsx", "pptx", "ppsx", "dotx", "xltx", "potx", "odt",
                        "ods", "odp", "odg", "epub", "kmz", "xps", "oxps", "xlsb"}) | MACRO_DOCUMENT
_OLE_BASED = frozenset({"doc", "dot", "xls", "xlt", "ppt", "pps", "pot", "msg", "vsd", "pub",
                        "mpp"})
_PICTURE_OR_TEXT = frozenset({"jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "heic",
                              "webp", "pdf", "txt", "csv", "rtf", "mp4", "mov", "mp3"})

EXECUTABLE_TEXT = "Tệp thực thi, không đưa vào gói"
MACRO_TEXT = "Tài liệu có macro, không đưa vào gói"
DISK_IMAGE_TEXT = "Tệp ảnh đĩa (có thể chứa chương trình), không đưa vào gói"

_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe",
                     b"\xca\xfe\xba\xbe")  # Windows PE, Linux ELF, macOS Mach-O
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Where the macros of an Office file live: a zip member, or an OLE stream (UTF-16 name).
_VBA_MARKERS = (b"vbaProject.bin", "_VBA_PROJECT".encode("utf-16-le"))


def _extensions(name: str) -> list[str]:
    """Lower-case extensions, last first: "baocao.PDF.exe" -> ["exe", "pdf"]."""
    parts = name.strip().rstrip(". ").lower().split(".")
    return [p.strip() for p in reversed(parts[1:]) if p.strip()]


def _content(data: bytes) -> str:
    if data.startswith(_EXECUTABLE_MAGIC):
        return "executable"
    if data.startswith(_ZIP):
        return "zip"
    if data.startswith(_OLE):
        return "ole"
    return ""


def withheld_reason(name: str, data: bytes) -> str | None:
    """Why a file must be kept out of the package, in Vietnamese, or None.

    ``name`` is the sanitised display name, ``data`` the file's bytes (only the
    start, and for Office files the names of the parts inside, are looked at).

    >>> withheld_reason("Báo cáo.pdf", b"%PDF-1.7")
    >>> withheld_reason("baocao.pdf.exe", b"MZ\\x90\\x00")
    'Tệp thực thi (đuôi kép .pdf.exe), không đưa vào gói'
    >>> withheld_reason("anh.jpg", b"PK\\x03\\x04")
    'Nội dung tệp không khớp với đuôi .jpg (thực chất là tệp nén), không đưa vào gói'
    """
    extensions = _extensions(name)
    last = extensions[0] if extensions else ""
    content = _content(data)
    if last in EXECUTABLE:
        if len(extensions) > 1 and extensions[1] not in EXECUTABLE:
            return f"Tệp thực thi (đuôi kép .{extensions[1]}.{last}), không đưa vào gói"
        return EXECUTABLE_TEXT
    if last in MACRO_DOCUMENT:
        return MACRO_TEXT
    if last in DISK_IMAGE:
        return DISK_IMAGE_TEXT
    if content == "executable":
        shown = f"đuôi .{last}" if last else "tên không có đuôi"
        return f"Tệp thực thi mang {shown}, không đưa vào gói"
    if content in ("zip", "ole") and any(m in data for m in _VBA_MARKERS):
        return MACRO_TEXT
    if content == "zip" and last in _PICTURE_OR_TEXT | _OLE_BASED:
        return (f"Nội dung tệp không khớp với đuôi .{last} (thực chất là tệp nén), "
                "không đưa vào gói")
    if content == "ole" and last in _PICTURE_OR_TEXT | _ZIP_BASED:
        return (f"Nội dung tệp không khớp với đuôi .{last} (thực chất là tài liệu Office "
                "cũ), không đưa vào gói")
    return None
