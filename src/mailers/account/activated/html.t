<p>Yth. {{ name }},</p>
<p>Akun SI-FILMA Anda dengan username <strong>{{ username }}</strong> telah diaktifkan oleh admin Dukcapil.</p>
<p>Silakan masuk melalui <a href="{{ login_url }}">{{ login_url }}</a> dengan password yang Anda buat saat mendaftar.</p>
<p>Salam,<br>Direktorat Jenderal Kependudukan dan Pencatatan Sipil<br>Kementerian Dalam Negeri</p>
