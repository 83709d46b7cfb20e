"""Thermal properties of specimen and defect materials, with the sources of the numbers.

Conductivity k in W/(m K) along x (in-plane, image columns), y (in-plane, image rows) and z
(through the thickness); density rho in kg/m^3; specific heat cp in J/(kg K). Diffusivity
a = k / (rho cp) in m^2/s.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from thermodefect.errors import ThermodefectError

__all__ = [
    "LIBRARY",
    "PROPERTY_FIELDS",
    "Material",
    "material",
    "porous",
]


@dataclass(frozen=True)
class Material:
    """A homogeneous, possibly anisotropic, material.

    Parameters
    ----------
    name : str
        Its name.
    k_x, k_y, k_z : float
        Thermal conductivity along the plate's x, y and through the thickness, W/(m K).
    density : float
        kg/m^3.
    heat_capacity : float
        Specific heat capacity, J/(kg K).
    source : str
        Where the values come from.
    """

    name: str
    k_x: float
    k_y: float
    k_z: float
    density: float
    heat_capacity: float
    source: str = "given by the user"

    @property
    def rho_c(self) -> float:
        """Volumetric heat capacity rho cp, J/(m^3 K)."""
        return self.density * self.heat_capacity

    def diffusivity(self, axis: str = "z") -> float:
        """Diffusivity along ``axis``.

        Parameters
        ----------
        axis : {'x', 'y', 'z'}
            Direction.

        Returns
        -------
        float
            m^2/s.
        """
        return getattr(self, f"k_{axis}") / self.rho_c

    @property
    def effusivity(self) -> float:
        """Through-thickness effusivity sqrt(k_z rho cp), W s^0.5 / (m^2 K)."""
        return (self.k_z * self.rho_c) ** 0.5

    def to_dict(self) -> dict:
        """The material as the spec schema writes it.

        Returns
        -------
        dict
            ``name``, ``k_x``, ``k_y``, ``k_z``, ``density``, ``heat_capacity``, ``source``.
        """
        return asdict(self)


LIBRARY: dict[str, Material] = {
    m.name: m
    for m in (
        # Quasi-isotropic carbon/epoxy laminate, ~60% fibre volume. In-plane 3-5 W/mK and
        # through-thickness 0.5-0.7 W/mK: Maldague, Theory and Practice of Infrared Technology
        # for NDT (Wiley 2001), table of thermal properties; the through-thickness diffusivity
        # 0.42 mm^2/s matches the 0.40 +/- 0.15 mm^2/s measured on a UD laminate (see FACTS.md).
        Material("cfrp", 4.0, 4.0, 0.65, 1560.0, 1000.0, "Maldague 2001; FACTS.md (mirage)"),
        # Unidirectional CFRP, fibres along x: 6.0 and 0.35 mm^2/s in-plane, 0.40 through
        # (photothermal mirage measurements collected in FACTS.md), rho cp = 1.56e6 J/m^3K.
        Material("cfrp-ud", 9.36, 0.546, 0.624, 1560.0, 1000.0, "FACTS.md (mirage) diffusivities"),
        # E-glass/epoxy: k 0.3-0.4 W/mK through, ~0.5 in-plane, rho 1900, cp 950 (Maldague 2001).
        Material("gfrp", 0.5, 0.5, 0.35, 1900.0, 950.0, "Maldague 2001"),
        # Aluminium alloy 6061-T6: k 167, rho 2700, cp 896 (ASM Handbook vol. 2; MatWeb).
        Material("aluminium", 167.0, 167.0, 167.0, 2700.0, 896.0, "ASM Handbook vol. 2 (6061-T6)"),
        # Carbon steel AISI 1010: k 63.9 at 300 K, rho 7832, cp 434 (Incropera, Fundamentals of
        # Heat and Mass Transfer, 6th ed., table A.1).
        Material("steel", 63.9, 63.9, 63.9, 7832.0, 434.0, "Incropera 6th ed., table A.1"),
        # Rigid PVC: k 0.19, rho 1380, cp 1000 (Incropera 6th ed., table A.3 / polymer data).
        Material("pvc", 0.19, 0.19, 0.19, 1380.0, 1000.0, "Incropera 6th ed., table A.3"),
        # Air at 300 K: k 0.0263, rho 1.1614, cp 1007 (Incropera 6th ed., table A.4).
        Material("air", 0.0263, 0.0263, 0.0263, 1.1614, 1007.0, "Incropera 6th ed., table A.4"),
        # PTFE (Teflon) inserts: k 0.25, rho 2200, cp 1050 (Incropera 6th ed., table A.3).
        Material("ptfe", 0.25, 0.25, 0.25, 2200.0, 1050.0, "Incropera 6th ed., table A.3"),
        # Cured epoxy resin (resin-rich layers, resin inserts): k 0.2, rho 1200, cp 1200
        # (typical datasheet values of aerospace epoxies, e.g. Hexcel 8552 neat resin).
        Material("resin", 0.2, 0.2, 0.2, 1200.0, 1200.0, "epoxy datasheets (Hexcel 8552)"),
        # Polyimide film inserts (Kapton HN): k 0.12, rho 1420, cp 1090 (DuPont datasheet).
        Material("kapton", 0.12, 0.12, 0.12, 1420.0, 1090.0, "DuPont Kapton HN datasheet"),
        # PMMA (acrylic): k 0.19, rho 1190, cp 1470 (Evonik Plexiglas datasheet).
        Material("pmma", 0.19, 0.19, 0.19, 1190.0, 1470.0, "Evonik Plexiglas datasheet"),
    )
}

PROPERTY_FIELDS = ("k_x", "k_y", "k_z", "density", "heat_capacity")


def material(spec) -> Material:
    """A library material by name, or a material from a dict of its properties.

    Parameters
    ----------
    spec : str, dict or Material
        A name of :data:`LIBRARY`, or a dict with ``density``, ``heat_capacity`` and either
        ``k`` (isotropic) or all of ``k_x``, ``k_y``, ``k_z`` (``name`` optional).

    Returns
    -------
    Material

    Raises
    ------
    ThermodefectError
        For an unknown name, missing or non-positive properties.
    """
    if isinstance(spec, Material):
        return spec
    if isinstance(spec, str):
        if spec not in LIBRARY:
            raise ThermodefectError(
                f"unknown material {spec!r}; library: {', '.join(LIBRARY)}, or give properties"
            )
        return LIBRARY[spec]
    if isinstance(spec, dict):
        d = dict(spec)
        if "k" in d:
            k = d.pop("k")
            d.update(k_x=k, k_y=k, k_z=k)
        missing = [f for f in PROPERTY_FIELDS if f not in d]
        if missing:
            raise ThermodefectError(f"material properties lack {', '.join(missing)}")
        unknown = set(d) - {*PROPERTY_FIELDS, "name", "source"}
        if unknown:
            raise ThermodefectError(f"unknown material field(s) {', '.join(sorted(unknown))}")
        values = {f: float(d[f]) for f in PROPERTY_FIELDS}
        if min(values.values()) <= 0:
            raise ThermodefectError("material properties must be positive")
        return Material(
            name=str(d.get("name", "custom")), source=d.get("source", "given by the user"), **values
        )
    raise ThermodefectError(f"a material is a library name or a dict of properties, got {spec!r}")


def porous(body: Material, fraction: float) -> Material:
    """``body`` holding a volume share ``fraction`` of air-filled, roughly spherical voids.

    Conductivity by Maxwell-Eucken for non-conducting dispersed pores,
    k = k_body 2 (1 - f) / (2 + f); heat capacity by volume, rho cp (1 - f).

    Parameters
    ----------
    body : Material
        The sound material.
    fraction : float
        Void volume share, in [0, 1).

    Returns
    -------
    Material
    """
    scale = 2 * (1 - fraction) / (2 + fraction)
    return Material(
        name=f"{body.name} with {fraction:.0%} porosity",
        k_x=body.k_x * scale,
        k_y=body.k_y * scale,
        k_z=body.k_z * scale,
        density=body.density * (1 - fraction),
        heat_capacity=body.heat_capacity,
        source=f"{body.source}; Maxwell-Eucken pores",
    )
