"""What every flow shares and no flow owns: the narrow context, the confirmation machinery (challenges, the
handler registry, second-channel confirmations), the account step, contact state rules, notices and public
views. Nothing here imports a flow; flows import only from here and from the layers below."""
