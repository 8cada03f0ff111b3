Yth. {{ name }},

Akun SI-FILMA Anda dengan username {{ username }} telah diaktifkan oleh admin Dukcapil.
Silakan masuk melalui {{ login_url }} dengan password yang Anda buat saat mendaftar.

Salam,
Direktorat Jenderal Kependudukan dan Pencatatan Sipil
Kementerian Dalam Negeri
