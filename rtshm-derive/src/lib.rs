//! `#[derive(Schema)]`: implements `rtshm::schema::Schema` for a `#[repr(C)]` struct with named
//! fields, as a `const` descriptor: the struct's name, size and alignment, and per field its
//! name, `offset_of!` and the field type's own descriptor. Use it through `rtshm`
//! (`#[derive(rtshm::Schema)]`), which re-exports it; the generated code names `::rtshm`.
//!
//! Every field type must implement `Schema` (numbers, arrays of schema types, rtshm's payload
//! types and other derived structs do), and the struct must be `bytemuck::Pod` (no padding):
//! both are checked at compile time. Generic structs get a `Schema` bound on each type
//! parameter, and the impl exists for the instances that are `Pod`.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::quote;
use syn::{Data, DeriveInput, Fields, parse_macro_input};

/// Implements `rtshm::schema::Schema` for a `#[repr(C)]` struct with named fields (see the
/// crate docs).
#[proc_macro_derive(Schema)]
pub fn derive_schema(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    if !is_repr_c(input) {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(Schema)] needs #[repr(C)]: other layouts have no stable field offsets",
        ));
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(Schema)] supports structs with named fields only",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(Schema)] supports structs with named fields only",
        ));
    };
    let ident = &input.ident;
    let name = ident.to_string();
    let mut generics = input.generics.clone();
    for param in generics.type_params_mut() {
        param
            .bounds
            .push(syn::parse_quote!(::rtshm::schema::Schema));
    }
    // A generic struct is Pod for some instances only (bytemuck cannot derive it generically):
    // the impl exists for those.
    if !input.generics.params.is_empty() {
        let (_, ty_generics, _) = input.generics.split_for_impl();
        generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(#ident #ty_generics: ::rtshm::schema::Pod));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let fields = named.named.iter().map(|f| {
        let field = f.ident.as_ref().expect("named fields have names");
        let field_name = field.to_string();
        let ty = &f.ty;
        quote! {
            ::rtshm::schema::Field::new(
                #field_name,
                ::core::mem::offset_of!(Self, #field),
                <#ty as ::rtshm::schema::Schema>::TYPE,
            )
        }
    });
    Ok(quote! {
        impl #impl_generics ::rtshm::schema::Schema for #ident #ty_generics #where_clause {
            const TYPE: ::rtshm::schema::Type = {
                // Padding (or any other reason not to be Pod) is a compile error here.
                ::rtshm::schema::assert_pod::<Self>();
                ::rtshm::schema::Type::Struct(&::rtshm::schema::Struct {
                    name: #name,
                    size: ::core::mem::size_of::<Self>(),
                    align: ::core::mem::align_of::<Self>(),
                    fields: &[#(#fields),*],
                })
            };
        }
    })
}

/// Whether the struct has `#[repr(C)]` (possibly with other hints, such as `align(8)`).
fn is_repr_c(input: &DeriveInput) -> bool {
    input.attrs.iter().any(|attr| {
        if !attr.path().is_ident("repr") {
            return false;
        }
        let mut c = false;
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("C") {
                c = true;
            }
            // Skip the arguments of hints such as `align(8)`.
            if meta.input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in meta.input);
                let _: TokenStream2 = content.parse()?;
            }
            Ok(())
        });
        c
    })
}
