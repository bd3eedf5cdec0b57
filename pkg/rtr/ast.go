package rtr

// File is an RTR file as written: its declarations in file order.
type File struct {
	Name  string
	Decls []Decl // *Assign, *Block, *Upgrade or *UpgradeFrom
	End   Pos    // where the file ends, for errors about what is missing
}

// Decl is one top-level declaration of an RTR file.
type Decl interface {
	Position() Pos
}

// Value is one value as written: a bare word or a quoted string (with its
// escapes resolved).
type Value struct {
	Pos    Pos
	Text   string
	Quoted bool
}

// Assign is an RT-property assignment, NAME = value, value...; with no
// Values for NAME = ;.
type Assign struct {
	NamePos Pos
	Name    string // as written
	Values  []Value
}

// Block is a property block { PROPERTY = name; ... }.
type Block struct {
	Lbrace Pos
	Rbrace Pos
	Attrs  []*Attr
}

// AttrForm says how an attribute of a property block is written.
type AttrForm int

const (
	AttrFlag   AttrForm = iota // NAME;            (EXTENSION, INT, PER_NODE, ...)
	AttrAssign                 // NAME = v, ...;   (PROPERTY, DEFAULT, MIN, ...)
	AttrList                   // NAME { v, ... }; (ENUM)
)

// Attr is one attribute of a property block.
type Attr struct {
	NamePos Pos
	Name    string // as written
	Form    AttrForm
	Values  []Value // for AttrAssign and AttrList
}

// Upgrade is the #$upgrade directive.
type Upgrade struct {
	Pos Pos
}

// UpgradeFrom is an #$upgrade_from "VERSION" WHEN directive.
type UpgradeFrom struct {
	Pos     Pos
	Version Value
	When    Value
}

// Position returns where the declaration starts.
func (a *Assign) Position() Pos { return a.NamePos }

// Position returns where the declaration starts.
func (b *Block) Position() Pos { return b.Lbrace }

// Position returns where the declaration starts.
func (u *Upgrade) Position() Pos { return u.Pos }

// Position returns where the declaration starts.
func (u *UpgradeFrom) Position() Pos { return u.Pos }
