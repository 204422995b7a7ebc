// The print button of printable lists (no inline script: the CSP forbids it).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", (event) => {
    event.preventDefault();
    window.print();
  });
});
